import { describe, expect, it } from "vitest";
import { authenticationJson, creationOptions, fromBase64Url, registrationJson, requestOptions, toBase64Url } from "./webauthn.ts";

const bytes = (...b: number[]) => new Uint8Array(b).buffer;

describe("base64url", () => {
  it("round-trips every byte value and lengths that need 0, 1 and 2 padding characters", () => {
    const all = new Uint8Array(256).map((_, i) => i);
    expect(new Uint8Array(fromBase64Url(toBase64Url(all)))).toEqual(all);
    for (const n of [0, 1, 2, 3, 4, 5]) {
      const b = all.slice(250 - n, 250);
      expect(new Uint8Array(fromBase64Url(toBase64Url(b)))).toEqual(b);
    }
  });

  it("uses - and _ instead of + and /, without padding, and accepts padded input", () => {
    expect(toBase64Url(bytes(0xfb, 0xff))).toBe("-_8");
    expect(new Uint8Array(fromBase64Url("-_8="))).toEqual(new Uint8Array([0xfb, 0xff]));
    expect(toBase64Url(new Uint8Array([1, 2, 3, 4]).subarray(1, 3))).toBe("AgM");
  });

  it("refuses text outside the alphabet and impossible lengths", () => {
    expect(() => fromBase64Url("ab+c")).toThrow(TypeError);
    expect(() => fromBase64Url("a b")).toThrow(TypeError);
    expect(() => fromBase64Url("abcde")).toThrow(TypeError);
  });
});

describe("WebAuthn options and responses", () => {
  it("turns creation options' challenge, user id and excluded ids into bytes, keeping the rest", () => {
    const o = creationOptions({
      challenge: "AQID",
      rp: { name: "Parley", id: "localhost" },
      user: { id: "BAU", name: "alice", displayName: "alice" },
      pubKeyCredParams: [{ type: "public-key", alg: -7 }],
      excludeCredentials: [{ id: "Bg", type: "public-key", transports: ["internal"] }],
    });
    expect(new Uint8Array(o.challenge as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    expect(new Uint8Array(o.user.id as ArrayBuffer)).toEqual(new Uint8Array([4, 5]));
    expect(o.user.name).toBe("alice");
    expect(o.rp).toEqual({ name: "Parley", id: "localhost" });
    expect(new Uint8Array(o.excludeCredentials![0]!.id as ArrayBuffer)).toEqual(new Uint8Array([6]));
  });

  it("turns request options' challenge and allowed ids into bytes; no list stays no list", () => {
    const o = requestOptions({ challenge: "AQID", rpId: "localhost", allowCredentials: [{ id: "Bg", type: "public-key" }] });
    expect(new Uint8Array(o.allowCredentials![0]!.id as ArrayBuffer)).toEqual(new Uint8Array([6]));
    expect(requestOptions({ challenge: "AQID" }).allowCredentials).toBeUndefined();
  });

  it("writes a registration and an assertion as their JSON forms", () => {
    const reg = registrationJson({
      id: "Bg",
      rawId: bytes(6),
      type: "public-key",
      authenticatorAttachment: "platform",
      response: { clientDataJSON: bytes(1), attestationObject: bytes(2, 3), getTransports: () => ["internal"] },
      getClientExtensionResults: () => ({ credProps: { rk: true } }),
    });
    expect(reg).toEqual({
      id: "Bg",
      rawId: "Bg",
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: { credProps: { rk: true } },
      response: { clientDataJSON: "AQ", attestationObject: "AgM", transports: ["internal"] },
    });
    const auth = authenticationJson({
      id: "Bg",
      rawId: bytes(6),
      type: "public-key",
      response: { clientDataJSON: bytes(1), authenticatorData: bytes(2), signature: bytes(3), userHandle: bytes(4) },
    });
    expect(auth.response).toEqual({ clientDataJSON: "AQ", authenticatorData: "Ag", signature: "Aw", userHandle: "BA" });
    expect(auth.clientExtensionResults).toEqual({});
  });
});
