import { describe, expect, it } from "vitest";
import { UNKNOWN_ADDRESS, addressBucket, refreshKey, signInKey } from "./rate-keys.ts";

describe("addressBucket", () => {
  it("keys an IPv4 address by the whole address", () => {
    expect(addressBucket("192.0.2.17")).toBe("192.0.2.17");
    expect(addressBucket(" 10.0.0.1 ")).toBe("10.0.0.1");
    expect(addressBucket("192.0.2.18")).not.toBe(addressBucket("192.0.2.17"));
  });

  it("keys every IPv6 address of one /64 alike, whatever its spelling", () => {
    const bucket = "2001:db8:1:2::/64";
    for (const a of ["2001:db8:1:2::1", "2001:0db8:0001:0002:ffff:ffff:ffff:ffff", "2001:DB8:1:2:a:b:c:d", "2001:db8:1:2::", "2001:db8:1:2::1%eth0", "2001:db8:1:2:0:0:192.0.2.1"]) {
      expect(addressBucket(a), a).toBe(bucket);
    }
    expect(addressBucket("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
    expect(addressBucket("fe80::1")).toBe("fe80:0:0:0::/64");
  });

  it("keys an IPv4-mapped IPv6 address as its IPv4 address", () => {
    expect(addressBucket("::ffff:192.0.2.17")).toBe("192.0.2.17");
    expect(addressBucket("::ffff:c000:211")).toBe("192.0.2.17");
  });

  it("puts a missing or malformed address in one shared bucket, never one of its own", () => {
    for (const bad of [undefined, "", "unknown", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01234.1.1.1", "2001:db8::1::2", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
      "12345::1", "::g", "1.2.3.4::", "a".repeat(100), "2001:db8:1:2::1; drop table", "::ffff:999.1.1.1"]) {
      expect(addressBucket(bad), String(bad)).toBe(UNKNOWN_ADDRESS);
    }
  });
});

describe("limiter keys", () => {
  it("sign-ins are keyed by address bucket, refreshes by session family, in separate spaces", () => {
    expect(signInKey("2001:db8:1:2::9")).toBe("auth:2001:db8:1:2::/64");
    expect(signInKey(undefined)).toBe(`auth:${UNKNOWN_ADDRESS}`);
    expect(refreshKey("f_abc")).toBe("refresh:f_abc");
  });
});
