/**
 * Web push with WebCrypto only (docs/protocol.md §22.16, decision 0032):
 * message encryption per RFC 8291 (the `aes128gcm` content coding of
 * RFC 8188, one record) and VAPID per RFC 8292 (an ES256 JWT naming the push
 * service's origin, with the application server's public key). Runs in
 * workerd and in Node ≥ 20 alike; `webpush.test.ts` checks the encryption
 * against the example of RFC 8291 §5.
 */

const encoder = new TextEncoder();

export function b64urlEncode(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(text: string): Uint8Array {
  const s = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  const bin = atob(s + "=".repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function hkdf(salt: Uint8Array, ikm: Uint8Array, info: Uint8Array, bytes: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", buf(ikm), "HKDF", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt: buf(salt), info: buf(info) }, key, bytes * 8));
}

/** A P-256 private key from its raw scalar and uncompressed public point (65 bytes). */
async function importPrivate(d: Uint8Array, publicKey: Uint8Array, usage: "ECDH" | "ECDSA"): Promise<CryptoKey> {
  if (publicKey.length !== 65 || publicKey[0] !== 4 || d.length !== 32) throw new Error("not a P-256 key pair");
  const jwk = { kty: "EC", crv: "P-256", d: b64urlEncode(d), x: b64urlEncode(publicKey.slice(1, 33)), y: b64urlEncode(publicKey.slice(33)), ext: true };
  return crypto.subtle.importKey("jwk", jwk, usage === "ECDH" ? { name: "ECDH", namedCurve: "P-256" } : { name: "ECDSA", namedCurve: "P-256" }, false,
    usage === "ECDH" ? ["deriveBits"] : ["sign"]);
}

/** ECDH parameters: the standard names the peer's key `public` (the Workers types spell it `$public`). */
function ecdh(peer: CryptoKey): Parameters<SubtleCrypto["deriveBits"]>[0] {
  return { name: "ECDH", public: peer } as unknown as Parameters<SubtleCrypto["deriveBits"]>[0];
}

/** A copy as a plain ArrayBuffer: what every WebCrypto call accepts under both the Workers and the DOM typings. */
function buf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The record size announced in the header: one record holds the whole (small) message. */
const RECORD_SIZE = 4096;

export interface EncryptOptions {
  /** The application server's ephemeral key pair (d, public); a fresh one when absent (tests pass RFC 8291's). */
  serverKeys?: { d: Uint8Array; publicKey: Uint8Array };
  salt?: Uint8Array;
}

/**
 * Encrypts `plaintext` for a subscription (`p256dh`, `auth` as the browser
 * gave them): the body of the push request, `Content-Encoding: aes128gcm`.
 */
export async function encryptPush(plaintext: Uint8Array, p256dh: Uint8Array, auth: Uint8Array, options: EncryptOptions = {}): Promise<Uint8Array> {
  if (plaintext.length + 1 + 16 > RECORD_SIZE) throw new Error("push payload too large for one record");
  let serverPrivate: CryptoKey;
  let serverPublic: Uint8Array;
  if (options.serverKeys) {
    serverPrivate = await importPrivate(options.serverKeys.d, options.serverKeys.publicKey, "ECDH");
    serverPublic = options.serverKeys.publicKey;
  } else {
    const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
    serverPrivate = pair.privateKey;
    serverPublic = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  }
  const uaPublic = await crypto.subtle.importKey("raw", buf(p256dh), { name: "ECDH", namedCurve: "P-256" }, false, []);
  const ecdhSecret = new Uint8Array(await crypto.subtle.deriveBits(ecdh(uaPublic), serverPrivate, 256));
  // RFC 8291 §3.3–3.4: IKM from the auth secret and both public keys; then CEK and nonce (RFC 8188 §2.2–2.3).
  const ikm = await hkdf(auth, ecdhSecret, concat(encoder.encode("WebPush: info\0"), p256dh, serverPublic), 32);
  const salt = options.salt ?? crypto.getRandomValues(new Uint8Array(16));
  const cek = await hkdf(salt, ikm, encoder.encode("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, encoder.encode("Content-Encoding: nonce\0"), 12);
  const key = await crypto.subtle.importKey("raw", buf(cek), "AES-GCM", false, ["encrypt"]);
  // The last (and only) record ends with the delimiter 0x02 and no padding.
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: buf(nonce) }, key, buf(concat(plaintext, new Uint8Array([2])))));
  const header = new Uint8Array(16 + 4 + 1);
  header.set(salt, 0);
  new DataView(header.buffer).setUint32(16, RECORD_SIZE);
  header[20] = serverPublic.length;
  return concat(header, serverPublic, sealed);
}

/**
 * Decrypts a push body as a browser does, with the subscription's private
 * key: what the tests' push service uses to read what Parley sent.
 */
export async function decryptPush(body: Uint8Array, ua: { d: Uint8Array; publicKey: Uint8Array }, auth: Uint8Array): Promise<Uint8Array> {
  const salt = body.slice(0, 16);
  const idlen = body[20]!;
  const serverPublic = body.slice(21, 21 + idlen);
  const sealed = body.slice(21 + idlen);
  const uaPrivate = await importPrivate(ua.d, ua.publicKey, "ECDH");
  const asKey = await crypto.subtle.importKey("raw", buf(serverPublic), { name: "ECDH", namedCurve: "P-256" }, false, []);
  const ecdhSecret = new Uint8Array(await crypto.subtle.deriveBits(ecdh(asKey), uaPrivate, 256));
  const ikm = await hkdf(auth, ecdhSecret, concat(encoder.encode("WebPush: info\0"), ua.publicKey, serverPublic), 32);
  const cek = await hkdf(salt, ikm, encoder.encode("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, encoder.encode("Content-Encoding: nonce\0"), 12);
  const key = await crypto.subtle.importKey("raw", buf(cek), "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: buf(nonce) }, key, buf(sealed)));
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) throw new Error("bad padding delimiter");
  return padded.slice(0, end);
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** The VAPID keys of a deployment, or undefined when push is not configured. */
export function vapidKeysOf(env: { VAPID_PUBLIC_KEY?: string; VAPID_PRIVATE_KEY?: string; VAPID_SUBJECT?: string }): VapidKeys | undefined {
  const { VAPID_PUBLIC_KEY: publicKey, VAPID_PRIVATE_KEY: privateKey, VAPID_SUBJECT: subject } = env;
  if (!publicKey || !privateKey || !subject) return undefined;
  return { publicKey, privateKey, subject };
}

/**
 * The `Authorization` header of a push request to `endpoint` (RFC 8292):
 * `vapid t=<ES256 JWT with aud = the endpoint's origin, exp, sub>, k=<public key>`.
 */
export async function vapidAuthorization(endpoint: string, keys: VapidKeys, now = Date.now(), ttlS = 12 * 3600): Promise<string> {
  const publicKey = b64urlDecode(keys.publicKey);
  const signing = await importPrivate(b64urlDecode(keys.privateKey), publicKey, "ECDSA");
  const header = b64urlEncode(encoder.encode(JSON.stringify({ typ: "JWT", alg: "ES256" })));
  const claims = b64urlEncode(encoder.encode(JSON.stringify({ aud: new URL(endpoint).origin, exp: Math.floor(now / 1000) + ttlS, sub: keys.subject })));
  const input = `${header}.${claims}`;
  // WebCrypto's ECDSA signature is r‖s (IEEE P1363), which is what JWS ES256 wants.
  const signature = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signing, buf(encoder.encode(input))));
  return `vapid t=${input}.${b64urlEncode(signature)}, k=${keys.publicKey}`;
}

/** Verifies a VAPID header as a push service does (the tests' push service uses it). */
export async function verifyVapid(header: string | null, endpointOrigin: string, now = Date.now()): Promise<{ sub: string } | undefined> {
  const match = header && /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
  if (!match) return undefined;
  const [h, c, s] = match[1]!.split(".");
  if (!h || !c || !s) return undefined;
  const key = await crypto.subtle.importKey("raw", buf(b64urlDecode(match[2]!)), { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const valid = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, buf(b64urlDecode(s)), buf(encoder.encode(`${h}.${c}`)));
  if (!valid) return undefined;
  const claims = JSON.parse(new TextDecoder().decode(b64urlDecode(c))) as { aud?: string; exp?: number; sub?: string };
  if (claims.aud !== endpointOrigin || typeof claims.exp !== "number" || claims.exp * 1000 < now || typeof claims.sub !== "string") return undefined;
  return { sub: claims.sub };
}

/** A fresh VAPID key pair, base64url (what `npm run vapid-keys` prints). */
export async function generateVapidKeys(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  return { publicKey: b64urlEncode(raw), privateKey: jwk.d! };
}
