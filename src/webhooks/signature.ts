/**
 * Signatures of everything Parley posts to a bot's webhook or a webhook
 * endpoint (docs/integrations.md): `Parley-Signature: t=<unix seconds>,v1=<hex>`
 * where the hex is HMAC-SHA256, under the endpoint's secret, of
 * `<t>.<raw body>`. A receiver recomputes it over the raw bytes it got,
 * compares in constant time, and refuses a `t` more than 5 minutes away from
 * its clock (a replayed request carries an old one and cannot be re-signed).
 */
export const SIGNATURE_HEADER = "Parley-Signature";
/** The tolerance receivers should use, and `verifySignature` uses by default. */
export const SIGNATURE_TOLERANCE_S = 300;

const keys = new Map<string, Promise<CryptoKey>>();

function keyOf(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    if (keys.size > 1000) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

export async function hmacHex(secret: string, text: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await keyOf(secret), new TextEncoder().encode(text));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The header value for `body` sent at `nowMs`. */
export async function signatureHeader(secret: string, body: string, nowMs = Date.now()): Promise<string> {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`;
}

/** Checks a header as a receiver must (used by the tests' receivers, and a model for integrators). */
export async function verifySignature(secret: string, body: string, header: string | null, nowMs = Date.now(), toleranceS = SIGNATURE_TOLERANCE_S): Promise<boolean> {
  if (!header) return false;
  const parts = new Map(header.split(",").map((p) => {
    const i = p.indexOf("=");
    return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as [string, string];
  }));
  const t = Number(parts.get("t"));
  const given = parts.get("v1") ?? "";
  if (!Number.isSafeInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceS) return false;
  const expected = await hmacHex(secret, `${t}.${body}`);
  if (given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return diff === 0;
}
