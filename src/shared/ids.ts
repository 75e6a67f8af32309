/** Random, URL-safe identifiers with a type prefix (`u_`, `c_`, `m_`, `s_`): 62 symbols, A–Z, a–z, 0–9. */
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * `prefix` and `length` uniformly random symbols (20 are ≈ 119 bits). Each
 * byte gives 6 bits; the values 62 and 63 are drawn again (rejection keeps
 * the choice uniform), so a few spare bytes nearly always suffice. This runs
 * for every message: one call for the bytes, no array of characters.
 */
export function randomId(prefix: string, length = 20): string {
  let out = prefix;
  let need = length;
  while (need > 0) {
    const bytes = crypto.getRandomValues(new Uint8Array(need + 8));
    for (let i = 0; i < bytes.length && need > 0; i++) {
      const v = bytes[i]! & 63;
      if (v < 62) {
        out += ALPHABET[v];
        need--;
      }
    }
  }
  return out;
}

/**
 * Conversation ids carry a MAC (decision 0015): `c_g` + 20 random symbols
 * for a group, `c_d` + 32 hex digits derived from the pair for a direct
 * conversation, then 22 base64url characters — the first 128 bits of
 * HMAC-SHA256 over what precedes them, under a key derived from AUTH_SECRET.
 * The Worker checks the MAC before it addresses an actor, so an id it never
 * minted (a guess, a forgery, an id of the older unsigned format) reaches
 * no actor and costs nothing but one HMAC.
 */
const ID_MAC_CHARS = 22;
const GROUP_ID_BODY = /^c_g[0-9A-Za-z]{20}$/;
const DIRECT_ID_BODY = /^c_d[0-9a-f]{32}$/;
/** HKDF `info` of the id key: a key of its own, never the token key itself. */
const ID_KEY_INFO = "parley conversation ids v1";

/** A fresh group conversation id, signed. */
export async function groupConversationId(secret: string): Promise<string> {
  return signId(secret, randomId("c_g", 20));
}

/**
 * The id of the direct conversation of two users: derived from the sorted
 * pair, so concurrent creates from either side reach the same actor; signed
 * like every conversation id.
 */
export async function directConversationId(secret: string, a: string, b: string): Promise<string> {
  const [x, y] = a < b ? [a, b] : [b, a];
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`parley:direct:${x}:${y}`));
  const hex = [...new Uint8Array(digest).slice(0, 16)].map((n) => n.toString(16).padStart(2, "0")).join("");
  return signId(secret, `c_d${hex}`);
}

/** True when `id` is a conversation id this deployment minted (its MAC checks out, compared in constant time). */
export async function verifyConversationId(secret: string, id: string): Promise<boolean> {
  const body = id.slice(0, -ID_MAC_CHARS);
  if (id.length <= ID_MAC_CHARS || !(GROUP_ID_BODY.test(body) || DIRECT_ID_BODY.test(body))) return false;
  const expected = await idMac(secret, body);
  const given = id.slice(-ID_MAC_CHARS);
  let diff = 0;
  for (let i = 0; i < ID_MAC_CHARS; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return diff === 0;
}

async function signId(secret: string, body: string): Promise<string> {
  return body + (await idMac(secret, body));
}

async function idMac(secret: string, body: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await idKey(secret), new TextEncoder().encode(body)));
  let binary = "";
  for (const b of mac.subarray(0, 16)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The id key of a secret, derived (HKDF-SHA256) once per isolate and secret: REST calls check an id each. */
const idKeys = new Map<string, Promise<CryptoKey>>();

function idKey(secret: string): Promise<CryptoKey> {
  let key = idKeys.get(secret);
  if (!key) {
    const encoder = new TextEncoder();
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((root) => crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(ID_KEY_INFO) },
        root,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      ));
    idKeys.set(secret, key);
  }
  return key;
}

/**
 * The id of a notification: one per (conversation, seq, kind), so a retried
 * delivery is stored once. "added" carries its time too, since someone can
 * be added, leave and be added again at the same `seq`.
 */
export function notificationId(conversationId: string, seq: number, kind: "mention" | "reply" | "added", at?: number): string {
  return kind === "added" ? `n:${conversationId}:${seq}:added:${at ?? 0}` : `n:${conversationId}:${seq}:${kind}`;
}
