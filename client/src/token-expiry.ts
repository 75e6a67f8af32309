import type { Timing } from "./timing.ts";

/**
 * The expiry of a JWT access token, in ms since the epoch, read from its `exp`
 * claim (seconds). Decoding only: the signature is not checked (only the
 * server can, and does). Undefined for anything that is not a JWT with a
 * numeric `exp`, so an opaque token simply gets no proactive refresh.
 */
export function jwtExpiresAt(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
}

/** The user id (`sub`) of a JWT access token, decoded only; undefined for an opaque token. */
export function jwtSubject(token: string): string | undefined {
  const sub = jwtClaims(token)?.sub;
  return typeof sub === "string" && sub !== "" ? sub : undefined;
}

function jwtClaims(token: string): { exp?: unknown; sub?: unknown } | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const b64 = parts[1]!.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), "="));
    const claims: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
    return typeof claims === "object" && claims !== null ? (claims as { exp?: unknown; sub?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long to wait before refreshing a token ahead of its expiry, in ms
 * (never negative), or undefined for "do not refresh it proactively".
 *
 * The refresh is due `lead` = margin + a random share of the jitter before
 * `expiresAt`; a token already inside that lead (restored after a reload or
 * a sleep) is due at once. Not so a token that a refresh has just produced
 * (`fresh`): refreshing that one at once would start a loop — a backend that
 * mints tokens shorter-lived than the lead, or a clock running ahead of the
 * server's. It is refreshed halfway through what is left of its life, and if
 * by this clock it has expired already, not at all: the clock cannot be
 * trusted, and the server's 4101 takes over as before.
 */
export function refreshDelay(
  expiresAt: number,
  now: number,
  fresh: boolean,
  timing: Pick<Timing, "TOKEN_REFRESH_MARGIN_MS" | "TOKEN_REFRESH_JITTER_MS">,
  random: () => number = Math.random,
): number | undefined {
  const remaining = expiresAt - now;
  const lead = timing.TOKEN_REFRESH_MARGIN_MS + Math.floor(random() * timing.TOKEN_REFRESH_JITTER_MS);
  if (remaining > lead) return remaining - lead;
  if (!fresh) return 0;
  return remaining > 0 ? Math.floor(remaining / 2) : undefined;
}
