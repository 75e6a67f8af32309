import { describe, expect, it } from "vitest";
import { checkHookUrl, checkPushEndpoint } from "./urls.ts";
import { signatureHeader, verifySignature } from "./signature.ts";

describe("checkHookUrl", () => {
  it("takes https URLs and refuses the rest, loopback http only when allowed", () => {
    expect(checkHookUrl("https://hooks.example.com/parley?x=1", false)).toBe("https://hooks.example.com/parley?x=1");
    for (const bad of ["http://hooks.example.com/", "ftp://x.y/", "https://u:p@x.y/", "https://x.y/#f", "https://x .y/", "not a url", "javascript:alert(1)", "https://127.0.0.1/", "http://127.0.0.1:9/"]) {
      expect(() => checkHookUrl(bad, false), bad).toThrow(/url/);
    }
    expect(checkHookUrl("http://127.0.0.1:8080/hook", true)).toBe("http://127.0.0.1:8080/hook");
    expect(() => checkHookUrl("http://10.0.0.1/", true)).toThrow();
  });
});

describe("checkPushEndpoint", () => {
  it("takes only hosts on the list", () => {
    const list = ["fcm.googleapis.com", ".push.apple.com", "http://127.0.0.1"];
    expect(checkPushEndpoint("https://fcm.googleapis.com/fcm/send/abc", list)).toContain("fcm.googleapis.com");
    expect(checkPushEndpoint("https://web.push.apple.com/x", list)).toContain("apple");
    expect(checkPushEndpoint("http://127.0.0.1:4000/push/1", list)).toBe("http://127.0.0.1:4000/push/1");
    for (const bad of ["https://evil.example/", "https://push.apple.com.evil.example/", "https://.push.apple.com/", "http://fcm.googleapis.com/x", "http://localhost:1/"]) {
      expect(() => checkPushEndpoint(bad, list), bad).toThrow(/endpoint/);
    }
    expect(() => checkPushEndpoint("http://127.0.0.1:4000/", ["fcm.googleapis.com"])).toThrow();
  });
});

describe("signatures", () => {
  it("verify over the exact body and time, and refuse old timestamps and any change", async () => {
    const now = 1_763_769_600_000;
    const header = await signatureHeader("whsec_test", '{"a":1}', now);
    expect(header).toMatch(/^t=1763769600,v1=[0-9a-f]{64}$/);
    expect(await verifySignature("whsec_test", '{"a":1}', header, now + 1000)).toBe(true);
    expect(await verifySignature("whsec_test", '{"a":2}', header, now)).toBe(false);
    expect(await verifySignature("whsec_other", '{"a":1}', header, now)).toBe(false);
    expect(await verifySignature("whsec_test", '{"a":1}', header, now + 301_000)).toBe(false);
    expect(await verifySignature("whsec_test", '{"a":1}', header.replace(/t=\d+/, "t=1763769601"), now)).toBe(false);
    expect(await verifySignature("whsec_test", '{"a":1}', null, now)).toBe(false);
  });
});
