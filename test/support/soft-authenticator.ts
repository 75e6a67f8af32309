/**
 * A software WebAuthn authenticator for tests that cannot drive a browser
 * (the workerd tests): it answers the options of Parley's passkey routes
 * the way a platform authenticator would — an ES256 key per credential,
 * attestation "none", authenticator data with the RP ID hash, flags and a
 * signature counter — using Web Crypto only, so it runs in workerd and in
 * Node alike. Every field can be bent, so a test can present exactly the
 * wrong thing it means to (another origin, a stale challenge, a counter
 * that went back). The real browser path is test/browser/passkeys.test.ts.
 *
 * To extend: add a knob to `Bend`, not a second authenticator.
 */

export interface Credential {
  id: string;
  userHandle: string;
  rpId: string;
  keys: CryptoKeyPair;
  counter: number;
}

/** What to present differently from a well-behaved authenticator. */
export interface Bend {
  origin?: string;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** The counter to sign with (default: the credential's, plus one). */
  counter?: number;
  /** Leave user verification out of the flags. */
  noUserVerification?: boolean;
  /** Attestation format and statement (default "none", {}). */
  fmt?: string;
  attStmt?: Map<string, unknown>;
  /** Sign with this key instead of the credential's. */
  signWith?: CryptoKey;
  userHandle?: string | null;
  /** Registration: the credential id to create (default: 16 random bytes). */
  credentialId?: Uint8Array;
}

const encoder = new TextEncoder();

export class SoftAuthenticator {
  readonly credentials: Credential[] = [];

  constructor(readonly origin: string) {}

  /** Answers registration options (`options` as Parley's route sends them). */
  async create(options: any, bend: Bend = {}): Promise<any> {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const id = bend.credentialId ?? crypto.getRandomValues(new Uint8Array(16));
    const rpId = bend.rpId ?? options.rp.id;
    const credential: Credential = { id: b64url(id), userHandle: options.user.id, rpId: options.rp.id, keys, counter: 0 };
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", keys.publicKey)) as ArrayBuffer);
    const cose = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, raw.slice(1, 33)], [-3, raw.slice(33, 65)]]));
    const attested = concat(new Uint8Array(16), new Uint8Array([0, id.length]), id, cose);
    const authData = concat(await sha256(encoder.encode(rpId)), new Uint8Array([flags(bend) | 0x40]), u32(0), attested);
    const clientData = this.#clientData("webauthn.create", options.challenge, bend);
    const attestationObject = cbor(new Map<string, unknown>([["fmt", bend.fmt ?? "none"], ["attStmt", bend.attStmt ?? new Map()], ["authData", authData]]));
    this.credentials.push(credential);
    return {
      id: credential.id,
      rawId: credential.id,
      type: "public-key",
      response: { clientDataJSON: b64url(clientData), attestationObject: b64url(attestationObject), transports: ["internal"] },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  /** Answers sign-in options with `credential` (default: the first one the options allow, or the first made). */
  async get(options: any, credential?: Credential, bend: Bend = {}): Promise<any> {
    const allowed: string[] = (options.allowCredentials ?? []).map((c: { id: string }) => c.id);
    const cred = credential ?? this.credentials.find((c) => allowed.length === 0 || allowed.includes(c.id));
    if (!cred) throw new Error("no credential for these options");
    const counter = bend.counter ?? cred.counter + 1;
    cred.counter = counter;
    const authData = concat(await sha256(encoder.encode(bend.rpId ?? options.rpId)), new Uint8Array([flags(bend)]), u32(counter));
    const clientData = this.#clientData("webauthn.get", options.challenge, bend);
    const signed = concat(authData, await sha256(clientData));
    const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, bend.signWith ?? cred.keys.privateKey, signed as Uint8Array<ArrayBuffer>));
    const handle = bend.userHandle === undefined ? cred.userHandle : bend.userHandle;
    return {
      id: cred.id,
      rawId: cred.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(derSignature(raw)),
        ...(handle === null ? {} : { userHandle: handle }),
      },
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
    };
  }

  #clientData(type: string, challenge: string, bend: Bend): Uint8Array {
    return encoder.encode(JSON.stringify({ type: bend.type ?? type, challenge: bend.challenge ?? challenge, origin: bend.origin ?? this.origin, crossOrigin: false }));
  }
}

/** User present, user verified (unless bent). */
function flags(bend: Bend): number {
  return 0x01 | (bend.noUserVerification ? 0 : 0x04);
}

export function fromB64url(text: string): Uint8Array {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded + "=".repeat((4 - (padded.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

export function b64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
}

function u32(n: number): Uint8Array {
  return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Web Crypto's raw ECDSA signature (r‖s) as the DER sequence WebAuthn carries. */
function derSignature(raw: Uint8Array): Uint8Array {
  const int = (x: Uint8Array) => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    let v = x.slice(i);
    if (v[0]! & 0x80) v = concat(new Uint8Array([0]), v);
    return concat(new Uint8Array([0x02, v.length]), v);
  };
  const body = concat(int(raw.slice(0, 32)), int(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys: integers, byte and text strings, maps. */
export function cbor(value: unknown): Uint8Array {
  const head = (major: number, n: number): Uint8Array => {
    if (n < 24) return new Uint8Array([(major << 5) | n]);
    if (n < 256) return new Uint8Array([(major << 5) | 24, n]);
    if (n < 65536) return new Uint8Array([(major << 5) | 25, n >> 8, n & 255]);
    return concat(new Uint8Array([(major << 5) | 26]), u32(n));
  };
  if (typeof value === "number") return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (value instanceof Uint8Array) return concat(head(2, value.length), value);
  if (typeof value === "string") {
    const bytes = encoder.encode(value);
    return concat(head(3, bytes.length), bytes);
  }
  if (value instanceof Map) {
    const parts: Uint8Array[] = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return concat(...parts);
  }
  if (Array.isArray(value)) return concat(head(4, value.length), ...value.map(cbor));
  throw new Error(`cbor: cannot encode ${typeof value}`);
}
