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
 * The id of the direct conversation of two users: derived from the sorted
 * pair, so concurrent creates from either side reach the same actor.
 */
export async function directConversationId(a: string, b: string): Promise<string> {
  const [x, y] = a < b ? [a, b] : [b, a];
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`parley:direct:${x}:${y}`));
  const hex = [...new Uint8Array(digest).slice(0, 16)].map((n) => n.toString(16).padStart(2, "0")).join("");
  return `c_d${hex}`;
}

/**
 * The id of a notification: one per (conversation, seq, kind), so a retried
 * delivery is stored once. "added" carries its time too, since someone can
 * be added, leave and be added again at the same `seq`.
 */
export function notificationId(conversationId: string, seq: number, kind: "mention" | "reply" | "added", at?: number): string {
  return kind === "added" ? `n:${conversationId}:${seq}:added:${at ?? 0}` : `n:${conversationId}:${seq}:${kind}`;
}
