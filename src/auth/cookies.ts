/**
 * The cookies of sign-in (decision 0020), as plain functions:
 *
 * - `parley_refresh`: the refresh token of a web client in cookie mode.
 *   `HttpOnly` (no script reads it), `Secure`, `SameSite=Strict` (never sent
 *   on a request another site starts), `Path=/v1/auth` (sent only to the
 *   routes that use it). Browsers accept `Secure` cookies from
 *   http://localhost and http://127.0.0.1 (Chromium does; checked), so
 *   `npm start` works without TLS.
 * - `parley_oauth`: binds an OAuth flow to the browser that started it.
 *   `SameSite=Lax`, since the provider's redirect back is a cross-site
 *   navigation, on which a Strict cookie would not be sent. `Path` is the
 *   OAuth routes', and it lives 10 minutes.
 */

export const REFRESH_COOKIE = "parley_refresh";
export const REFRESH_COOKIE_PATH = "/v1/auth";
export const OAUTH_COOKIE = "parley_oauth";
export const OAUTH_COOKIE_PATH = "/v1/auth/oauth";
/** Longest cookie value read: a refresh token is about 130 characters. */
const MAX_COOKIE_VALUE = 1024;

/**
 * The value of cookie `name` in a `Cookie` header, or undefined. The first
 * one wins when a name repeats (browsers send the most specific path first).
 * Values are taken as they are (Parley's are URL-safe already); a value that
 * is empty, too long or not of the cookie-octet set is treated as absent.
 */
export function readCookie(header: string | undefined | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return value.length > 0 && value.length <= MAX_COOKIE_VALUE && /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/.test(value) ? value : undefined;
  }
  return undefined;
}

export interface CookieAttributes {
  path: string;
  maxAgeSeconds: number;
  sameSite: "Strict" | "Lax";
}

/** A `Set-Cookie` value: always `HttpOnly` and `Secure`. */
export function serializeCookie(name: string, value: string, attrs: CookieAttributes): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Cookie name ${name} is not a token.`);
  if (value !== "" && readCookie(`${name}=${value}`, name) !== value) throw new Error("Cookie value has characters a cookie cannot carry.");
  return `${name}=${value}; Path=${attrs.path}; Max-Age=${Math.max(0, Math.floor(attrs.maxAgeSeconds))}; HttpOnly; Secure; SameSite=${attrs.sameSite}`;
}

/** Sets the refresh cookie for as long as a session may stay idle. */
export function refreshCookie(token: string, maxAgeMs: number): string {
  return serializeCookie(REFRESH_COOKIE, token, { path: REFRESH_COOKIE_PATH, maxAgeSeconds: maxAgeMs / 1000, sameSite: "Strict" });
}

/** Removes the refresh cookie. */
export function clearRefreshCookie(): string {
  return serializeCookie(REFRESH_COOKIE, "", { path: REFRESH_COOKIE_PATH, maxAgeSeconds: 0, sameSite: "Strict" });
}

export function oauthCookie(value: string, maxAgeMs: number): string {
  return serializeCookie(OAUTH_COOKIE, value, { path: OAUTH_COOKIE_PATH, maxAgeSeconds: maxAgeMs / 1000, sameSite: "Lax" });
}

export function clearOauthCookie(): string {
  return serializeCookie(OAUTH_COOKIE, "", { path: OAUTH_COOKIE_PATH, maxAgeSeconds: 0, sameSite: "Lax" });
}
