/**
 * Small signed strings of the sign-in flows, under keys derived from
 * AUTH_SECRET (HKDF-SHA256, one key per purpose, never the token key
 * itself):
 *
 * - **ceremony ids** (`cer<shard>_<24 random>.<mac>`): the handle of a
 *   passkey ceremony or an OAuth flow (the OAuth `state`). The Worker checks
 *   the MAC before it addresses the Ceremonies actor the id names, so a
 *   guessed or garbage id reaches no actor (as conversation ids, decision
 *   0015). The ceremony itself (challenge, PKCE verifier, …) lives in that
 *   actor, which hands it out once.
 * - **choose-username tickets** (`ot_<payload>.<mac>`): what an OAuth
 *   callback hands a new identity, so it can pick a username. Stateless and
 *   short-lived; completing one twice cannot register twice, since the
 *   identity is then linked (the Directory refuses it).
 */
import { randomId } from "../shared/ids.ts";
import { requireSecretBytes } from "./secret.ts";

/** Shards of the Ceremonies actor; the shard is the id's fourth character (hex). */
export const CEREMONY_SHARDS = 16;
const CEREMONY_BODY = /^cer([0-9a-f])_[A-Za-z0-9]{24}$/;
const SHORT_MAC_CHARS = 22;
const TICKET = /^ot_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

type Purpose = "ceremony" | "ticket";

/** A fresh ceremony id in a random shard, signed. */
export async function newCeremonyId(secret: string): Promise<string> {
  const shard = crypto.getRandomValues(new Uint8Array(1))[0]! % CEREMONY_SHARDS;
  const body = randomId(`cer${shard.toString(16)}_`, 24);
  return `${body}.${(await mac(secret, "ceremony", body)).slice(0, SHORT_MAC_CHARS)}`;
}

/** The shard of a ceremony id this deployment minted, or undefined for anything else (never throws). */
export async function verifyCeremonyId(secret: string, id: unknown): Promise<number | undefined> {
  if (typeof id !== "string" || id.length > 128) return undefined;
  const dot = id.indexOf(".");
  const body = id.slice(0, dot);
  const match = CEREMONY_BODY.exec(body);
  if (dot < 0 || !match) return undefined;
  const expected = (await mac(secret, "ceremony", body)).slice(0, SHORT_MAC_CHARS);
  return equal(expected, id.slice(dot + 1)) ? parseInt(match[1]!, 16) : undefined;
}

/** The name of the Ceremonies actor of a shard. */
export function ceremonyShard(shard: number): string {
  return `ceremonies-${shard}`;
}

/** What a choose-username ticket vouches for: an identity the provider confirmed. */
export interface TicketClaims {
  provider: string;
  subject: string;
  /** The provider's name for the account (GitHub login, Google address), if any. */
  label: string | null;
  /** A username to offer (it may be taken). */
  suggested: string | null;
  /** Expiry, ms since the epoch. */
  exp: number;
}

export async function signTicket(secret: string, claims: TicketClaims): Promise<string> {
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify({ p: claims.provider, s: claims.subject, l: claims.label, n: claims.suggested, e: claims.exp })));
  return `ot_${payload}.${await mac(secret, "ticket", payload)}`;
}

/** The claims of a ticket this deployment signed that has not expired; undefined otherwise (never throws). */
export async function verifyTicket(secret: string, ticket: string, now = Date.now()): Promise<TicketClaims | undefined> {
  const match = TICKET.exec(ticket);
  if (!match) return undefined;
  if (!equal(await mac(secret, "ticket", match[1]!), match[2]!)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(fromBase64Url(match[1]!)));
  } catch {
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  if (typeof r.p !== "string" || typeof r.s !== "string" || typeof r.e !== "number") return undefined;
  if (r.e <= now) return undefined;
  return {
    provider: r.p,
    subject: r.s,
    label: typeof r.l === "string" ? r.l : null,
    suggested: typeof r.n === "string" ? r.n : null,
    exp: r.e,
  };
}

/** Constant-time comparison of two strings of the same alphabet. */
export function equal(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  const padded = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(padded + "=".repeat((4 - (padded.length % 4)) % 4)), (c) => c.charCodeAt(0));
}

async function mac(secret: string, purpose: Purpose, body: string): Promise<string> {
  const signature = await crypto.subtle.sign("HMAC", await key(secret, purpose), new TextEncoder().encode(body));
  return toBase64Url(new Uint8Array(signature));
}

const keys = new Map<string, Promise<CryptoKey>>();

/** The key of one purpose, derived (HKDF-SHA256) once per isolate, secret and purpose. */
function key(secret: string, purpose: Purpose): Promise<CryptoKey> {
  const name = `${purpose}\u0000${secret}`;
  let found = keys.get(name);
  if (!found) {
    const encoder = new TextEncoder();
    found = crypto.subtle
      .importKey("raw", encoder.encode(requireSecretBytes(secret)), "HKDF", false, ["deriveKey"])
      .then((root) => crypto.subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(`parley ${purpose} v1`) },
        root,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      ));
    keys.set(name, found);
  }
  return found;
}
