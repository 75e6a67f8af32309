import { describe, expect, it } from "vitest";
import { checkApiKey } from "./api-key.ts";

const KEY = "k".repeat(40);

describe("checkApiKey", () => {
  it("accepts only the configured key", async () => {
    expect(await checkApiKey(KEY, KEY)).toBe("ok");
    expect(await checkApiKey(KEY, `${KEY}x`)).toBe("mismatch");
    expect(await checkApiKey(KEY, KEY.slice(1))).toBe("mismatch");
    expect(await checkApiKey(KEY, "")).toBe("mismatch");
    expect(await checkApiKey(KEY, undefined)).toBe("mismatch");
  });

  it("is off when no key of at least 32 bytes is configured, whatever is presented", async () => {
    expect(await checkApiKey(undefined, KEY)).toBe("disabled");
    expect(await checkApiKey("", "")).toBe("disabled");
    expect(await checkApiKey("short-key", "short-key")).toBe("disabled");
  });
});
