/**
 * Where an OAuth flow sends the browser at the end: only a path of this
 * deployment, never another site (an open redirect would let a link on
 * Parley's domain forward people, signed in, to a phishing page).
 */

export const DEFAULT_RETURN_TO = "/";
const MAX_RETURN_TO = 512;

/**
 * `value` when it is a same-origin relative path — it starts with one `/`
 * (not `//`, not `/\`), holds no control characters, spaces or backslashes,
 * and resolves to the same origin — else undefined.
 */
export function safeReturnTo(value: string | undefined): string | undefined {
  if (value === undefined || value.length === 0 || value.length > MAX_RETURN_TO) return undefined;
  if (!value.startsWith("/") || value.startsWith("//")) return undefined;
  if (/[\u0000-\u0020\u007f-\u009f\\]/.test(value)) return undefined;
  const base = "https://parley.invalid";
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return undefined;
  }
  return url.origin === base ? value : undefined;
}
