import { describe, expect, it } from "vitest";
import { b64urlDecode, b64urlEncode, decryptPush, encryptPush, generateVapidKeys, vapidAuthorization, verifyVapid } from "./webpush.ts";

/** The example of RFC 8291 §5 (all values base64url). */
const RFC = {
  plaintext: "When I grow up, I want to be a watermelon",
  asPrivate: "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
  asPublic: "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8",
  uaPrivate: "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94",
  uaPublic: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
  salt: "DGv6ra1nlYgDCS1FRnbzlw",
  auth: "BTBZMqHH6r4Tts7J_aSIgg",
  body: "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
};

describe("RFC 8291 encryption", () => {
  it("produces the body of the RFC's example from its keys and salt", async () => {
    const body = await encryptPush(new TextEncoder().encode(RFC.plaintext), b64urlDecode(RFC.uaPublic), b64urlDecode(RFC.auth), {
      serverKeys: { d: b64urlDecode(RFC.asPrivate), publicKey: b64urlDecode(RFC.asPublic) },
      salt: b64urlDecode(RFC.salt),
    });
    expect(b64urlEncode(body)).toBe(RFC.body);
  });

  it("decrypts the RFC's example with the user agent's key, and refuses a changed byte", async () => {
    const ua = { d: b64urlDecode(RFC.uaPrivate), publicKey: b64urlDecode(RFC.uaPublic) };
    const plain = await decryptPush(b64urlDecode(RFC.body), ua, b64urlDecode(RFC.auth));
    expect(new TextDecoder().decode(plain)).toBe(RFC.plaintext);
    const tampered = b64urlDecode(RFC.body);
    tampered[tampered.length - 20]! ^= 1;
    await expect(decryptPush(tampered, ua, b64urlDecode(RFC.auth))).rejects.toThrow();
  });

  it("round-trips with fresh keys and salt each time (two encryptions differ)", async () => {
    const ua = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
    const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", ua.publicKey)) as ArrayBuffer);
    const d = b64urlDecode(((await crypto.subtle.exportKey("jwk", ua.privateKey)) as JsonWebKey).d!);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    const text = new TextEncoder().encode(JSON.stringify({ title: "hi", body: "ünïcödé 👋" }));
    const a = await encryptPush(text, publicKey, auth);
    const b = await encryptPush(text, publicKey, auth);
    expect(b64urlEncode(a)).not.toBe(b64urlEncode(b));
    expect(new TextDecoder().decode(await decryptPush(a, { d, publicKey }, auth))).toBe(new TextDecoder().decode(text));
    await expect(encryptPush(new Uint8Array(5000), publicKey, auth)).rejects.toThrow(/too large/);
  });
});

describe("VAPID", () => {
  it("signs a JWT for the endpoint's origin that verifies with the public key, and only for that origin", async () => {
    const keys = { ...(await generateVapidKeys()), subject: "mailto:ops@example.com" };
    const header = await vapidAuthorization("https://push.example.net/send/abc", keys, 1_763_769_600_000);
    expect(header).toMatch(/^vapid t=[\w-]+\.[\w-]+\.[\w-]+, k=[\w-]+$/);
    expect(await verifyVapid(header, "https://push.example.net", 1_763_769_600_000)).toEqual({ sub: "mailto:ops@example.com" });
    expect(await verifyVapid(header, "https://other.example.net", 1_763_769_600_000)).toBeUndefined();
    expect(await verifyVapid(header, "https://push.example.net", 1_763_769_600_000 + 13 * 3600_000)).toBeUndefined();
    expect(await verifyVapid(header.replace(/k=[\w-]+/, `k=${(await generateVapidKeys()).publicKey}`), "https://push.example.net", 1_763_769_600_000)).toBeUndefined();
  });
});
