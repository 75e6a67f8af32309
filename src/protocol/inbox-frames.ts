import { z } from "zod";
import { AuthRefreshData, ConversationId, HelloData, PresenceStatus, Rid, Seq, ServerFrame, UserId, type ServerFrameType } from "./frames.ts";
import { InboxConversation } from "./inbox.ts";
import { PROTOCOL_VERSION } from "./limits.ts";
import { parseFrame, type ParseResult } from "./parse.ts";
import { queryNumber } from "./query.ts";

/**
 * Frames of the inbox socket, `GET /v1/inbox/ws` (PROTOCOL §6), one socket
 * per client session on the user's own actor. Same envelope, error codes,
 * close codes and bad-frame rules as the conversation socket (§1, §2, §5).
 */

/** Largest `notification.read` batch. */
export const MAX_NOTIFICATION_IDS = 100;
/** Inbox sockets one user may hold at once; one more is refused with HTTP 429. */
export const MAX_INBOX_SOCKETS = 10;

export const NotificationId = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "must be a notification id");

/** A notification: something in a conversation that concerns this user. */
export const Notification = z.object({
  id: NotificationId,
  /** mention: named in a message; reply: a reply to their message; added: added to a group. */
  kind: z.enum(["mention", "reply", "added"]),
  conversation_id: ConversationId,
  seq: Seq,
  created_at: z.number().int(),
  /** When the user marked it read; absent while unread. */
  read_at: z.number().int().optional(),
});
export type Notification = z.infer<typeof Notification>;

/**
 * What a Conversation actor hands a member's User actor (internal RPC, not on
 * the wire): the notification and who caused it (the sender of the message,
 * or who added the member), so that the User actor drops notifications from
 * people blocked either way (docs/protocol.md §18.1). Absent for
 * notifications written before the field existed.
 */
export const NotificationDelivery = Notification.extend({
  caused_by: UserId.optional(),
  /** Since v1.1, for web push (§22.16): who caused it, as a name, and the start of the message. Not stored or sent on. */
  sender_name: z.string().max(64).optional(),
  excerpt: z.string().max(200).optional(),
});
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;

/** `GET /v1/notifications?limit=&unread_only=` — newest first (Parley extension of §7). */
export const NotificationsQuery = z.object({
  limit: queryNumber(z.number().int().min(1).max(500)).optional(),
  unread_only: z.enum(["true", "false"]).optional(),
});
export const NotificationsResponse = z.object({
  notifications: z.array(Notification),
  notifications_unread: z.number().int().nonnegative(),
});

/** `POST /v1/notifications/read {ids}` — as the inbox socket's `notification.read`. */
export const ReadNotificationsRequest = z.object({ ids: z.array(NotificationId).min(1).max(MAX_NOTIFICATION_IDS) });

/** Contacts whose presence `inbox.snapshot.presence` lists at most. */
export const MAX_SNAPSHOT_PRESENCE = 500;

/** A contact's last known presence (since v1.1, in `inbox.snapshot.presence`). */
export const ContactPresence = z.object({ user_id: UserId, status: PresenceStatus, last_seen_at: z.number().int().optional() });
export type ContactPresence = z.infer<typeof ContactPresence>;

/** A status a user may choose; `offline` is only ever reported, never set. */
export const SettablePresence = z.enum(["online", "away", "busy"]);
export type SettablePresence = z.infer<typeof SettablePresence>;

/** `data` may be omitted when every field of it is optional. */
const Empty = z.object({}).default({});

function frame<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({ v: z.literal(PROTOCOL_VERSION), type: z.literal(type), rid: Rid.optional(), data });
}

// ---------------------------------------------------------------------------
// Client → server, inbox socket (since v1)
// ---------------------------------------------------------------------------

export const InboxClientFrame = z.discriminatedUnion("type", [
  /** First frame of every socket. Answered `hello.ack` (without `conversation_id`), then `inbox.snapshot`. */
  frame("hello", HelloData),
  /**
   * Sets the user's status for every contact; answered `presence` (the user's own, to each of their inbox sockets).
   * Since v1.1 limited per user (PRESENCE_SET_RATE; `rate_limited` past it), and contacts hear it coalesced over 1 s.
   */
  frame("presence.set", z.object({ status: SettablePresence })),
  /** Marks notifications read; answered `notifications.read` (to each of the user's inbox sockets). */
  frame("notification.read", z.object({ ids: z.array(NotificationId).min(1).max(MAX_NOTIFICATION_IDS) })),
  /** Swaps the socket's token in place. Answered `auth.refreshed`. */
  frame("auth.refresh", AuthRefreshData),
  /** JSON keep-alive. Answered `pong`. (The text frame `ping` also works.) */
  frame("ping", Empty),
]);
export type InboxClientFrame = z.infer<typeof InboxClientFrame>;
export const INBOX_CLIENT_FRAME_TYPES: ReadonlySet<string> = new Set(
  InboxClientFrame.options.map((o) => o.shape.type.value),
);

// ---------------------------------------------------------------------------
// Server → client, inbox socket (since v1)
// ---------------------------------------------------------------------------

type ServerVariant<T extends ServerFrameType> = Extract<
  (typeof ServerFrame.options)[number],
  { shape: { type: z.ZodLiteral<T> } }
>;

/** A variant of the conversation socket's server frames, shared as is by the inbox socket. */
function shared<T extends ServerFrameType>(type: T): ServerVariant<T> {
  const found = ServerFrame.options.find((o) => o.shape.type.value === type);
  if (!found) throw new Error(`no server frame ${type}`);
  return found as ServerVariant<T>;
}

export const InboxServerFrame = z.discriminatedUnion("type", [
  /** To one socket: answer to `hello`; `conversation_id` is absent. */
  shared("hello.ack"),
  /**
   * To one socket, right after `hello.ack`: the newest part of the inbox,
   * latest activity first. Since v1.1 it holds at most INBOX_SNAPSHOT_MAX
   * entries; `has_more` says whether older ones exist, and `next_cursor`
   * continues with `GET /v1/conversations?cursor=` (both absent before v1.1).
   */
  frame(
    "inbox.snapshot",
    z.object({
      conversations: z.array(InboxConversation),
      notifications_unread: z.number().int().nonnegative(),
      has_more: z.boolean().optional(),
      next_cursor: z.string().optional(),
      /**
       * Since v1.1: the last known presence of each contact who shares it,
       * offline ones with `last_seen_at`, online first (at most
       * MAX_SNAPSHOT_PRESENCE). The `presence` frames that follow still say
       * who is not offline, for clients that read only them.
       */
      presence: z.array(ContactPresence).max(MAX_SNAPSHOT_PRESENCE).optional(),
    }),
  ),
  /** To each of the user's sockets: a conversation changed (message, unread count, title, role). */
  frame("inbox.updated", z.object({ conversation: InboxConversation })),
  /** To each of the user's sockets: the user left or was removed from a conversation. */
  frame("inbox.removed", z.object({ conversation_id: ConversationId })),
  /** To each of the user's sockets: a new notification. */
  frame("notification.new", z.object({ notification: Notification })),
  /** To each of the user's sockets: answer to `notification.read`; `ids` are those that were unread. */
  frame(
    "notifications.read",
    z.object({ ids: z.array(NotificationId), notifications_unread: z.number().int().nonnegative() }),
  ),
  /** To each of the user's sockets: a contact's status, or the user's own after `presence.set`. */
  shared("presence"),
  /** To one socket: answer to `auth.refresh`. */
  shared("auth.refreshed"),
  /** To one socket: answer to the JSON `ping`. */
  shared("pong"),
  /** To one socket: a request failed (PROTOCOL §5). */
  shared("error"),
  /** To one socket, just before the server closes it with the matching code. */
  shared("connection.closing"),
]);
export type InboxServerFrame = z.infer<typeof InboxServerFrame>;
export type InboxServerFrameType = InboxServerFrame["type"];
/** The `data` of the inbox server frame of type T. */
export type InboxServerData<T extends InboxServerFrameType> = Extract<InboxServerFrame, { type: T }>["data"];

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

export type InboxParseResult = ParseResult<InboxClientFrame>;

/** Parses one incoming message of the inbox socket, exactly as the conversation socket's. */
export function parseInboxClientFrame(raw: string | ArrayBuffer): InboxParseResult {
  return parseFrame(raw, InboxClientFrame, INBOX_CLIENT_FRAME_TYPES, " on the inbox socket");
}
