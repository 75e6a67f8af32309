/**
 * The topics backend API key (`TOPICS_API_KEY`, a `wrangler secret`): the
 * one credential that may publish to and configure topics. Compared in
 * constant time: both sides are hashed first (SHA-256), so the comparison
 * sees two values of the same length whatever was sent, and
 * `crypto.subtle.timingSafeEqual` takes the same time wherever they differ.
 */

/** A key shorter than this is treated as unset: the backend API is off. */
export const MIN_TOPICS_API_KEY_BYTES = 32;

const encoder = new TextEncoder();

export type ApiKeyCheck = "ok" | "disabled" | "mismatch";

export async function checkApiKey(configured: string | undefined, presented: string | undefined): Promise<ApiKeyCheck> {
  if (configured === undefined || encoder.encode(configured).byteLength < MIN_TOPICS_API_KEY_BYTES) return "disabled";
  if (presented === undefined) return "mismatch";
  const [a, b] = await Promise.all([digest(configured), digest(presented)]);
  return crypto.subtle.timingSafeEqual(a, b) ? "ok" : "mismatch";
}

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}
