/**
 * What a push says (§22.16): small (well under the 4 KB a push service must
 * accept), and only what a lock screen may show — a title, a preview of the
 * message, and where to go.
 */
import { EXCERPT_CHARS, type PushPayload } from "../protocol/index.ts";

export function excerptOf(body: string): string {
  const points = [...body];
  return points.length > EXCERPT_CHARS ? `${points.slice(0, EXCERPT_CHARS).join("")}…` : body;
}

export function pushFor(kind: "mention" | "reply" | "direct", conversationId: string, seq: number, senderName: string | undefined, excerpt: string | undefined): PushPayload {
  const who = senderName ?? "Someone";
  const title = kind === "mention" ? `${who} mentioned you` : kind === "reply" ? `${who} replied to you` : senderName ? `${senderName}` : "New message";
  return {
    kind,
    title,
    body: excerpt ?? "",
    conversation_id: conversationId,
    seq,
    url: `/#/c/${encodeURIComponent(conversationId)}`,
  };
}
