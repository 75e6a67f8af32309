/** Random, URL-safe identifiers with a type prefix (`u_`, `c_`, `m_`, `s_`). */
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function randomId(prefix: string, length = 20): string {
  // 62^20 ≈ 2^119 possibilities; rejection sampling keeps the choice uniform.
  const out: string[] = [];
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const b of bytes) {
      if (b < 248 && out.length < length) out.push(ALPHABET[b % 62]!);
    }
  }
  return prefix + out.join("");
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
