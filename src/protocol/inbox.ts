import { z } from "zod";
import { ConversationId, ConversationKind, Message, Seq, UserId } from "./frames.ts";

/**
 * A conversation as the inbox shows it (PROTOCOL §6): `inbox.snapshot`
 * lists them, `inbox.updated` carries one, `GET /v1/conversations` lists
 * them too.
 */
export const InboxConversation = z.object({
  id: ConversationId,
  kind: ConversationKind,
  title: z.string().optional(),
  last_seq: Seq,
  unread: z.number().int().nonnegative(),
  last_message: Message.optional(),
  /** Since v1.1: present while the user has muted it (no notifications; unread counts still move). */
  muted: z.literal(true).optional(),
  /** Since v1.1: when a mute ends; absent for a mute without end. */
  muted_until: z.number().int().optional(),
});
export type InboxConversation = z.infer<typeof InboxConversation>;

/**
 * What a Conversation actor tells a member's User actor (internal RPC, not on
 * the wire). `version` grows with every change of the conversation as this
 * member sees it; a receiver keeps the highest and ignores older or repeated
 * deliveries, so retries and reordering are harmless.
 */
export const InboxUpdate = z.object({
  conversation: InboxConversation,
  version: z.number().int().nonnegative(),
  /** The member's read watermark. */
  read_seq: Seq,
  /** The member's role, or absent when they are no longer a member. */
  role: z.enum(["owner", "admin", "member"]).optional(),
  /** Member ids, for presence fan-out; only for conversations of at most 50 members. */
  member_ids: z.array(UserId).optional(),
  /**
   * A large conversation (more than 50 members): its messages are not pushed
   * to every member's inbox; the User actor pulls it when it lists the inbox
   * and watches it while an inbox socket is open (decision 0012).
   */
  large: z.boolean().optional(),
  /**
   * The version of the member's privacy settings the conversation holds
   * (absent: it holds none yet). A User actor whose own is newer tells the
   * conversation again (src/user/privacy.ts), so a push that was lost is
   * mended by the next update.
   */
  privacy_version: z.number().int().nonnegative().optional(),
});
export type InboxUpdate = z.infer<typeof InboxUpdate>;
