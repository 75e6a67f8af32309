import { z } from "zod";
import { ErrorBody } from "./errors.ts";
import { MAX_ATTACHMENTS, MAX_BODY_CHARS, MAX_PAGE_LIMIT, MAX_REACTION_CHARS, MAX_RID_CHARS, PROTOCOL_VERSION } from "./limits.ts";

// ---------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------

/** A sequence number: 1, 2, 3… per conversation; 0 means "before the first". */
export const Seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const PageLimit = z.number().int().min(1).max(MAX_PAGE_LIMIT);
export const ClientMsgId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 characters of A–Z, a–z, 0–9, _ and -");
export const Rid = z.string().min(1).max(MAX_RID_CHARS);
export const UserId = z.string().regex(/^u_[A-Za-z0-9_-]{1,64}$/, "must be a user id (u_…)");
export const ConversationId = z
  .string()
  .regex(/^c_[A-Za-z0-9_-]{1,64}$/, "must be a conversation id (c_…)");

/** Code points, not UTF-16 units, so an emoji counts as one character. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A UTF-16 surrogate without its pair: not Unicode, and not storable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const NOT_WHITE_SPACE = /\S/;

const REACTION_NAME = /^:[a-z0-9_+-]{1,32}:$/;
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u;

/** One emoji grapheme, or a `:name:`. */
export function isReaction(s: string): boolean {
  if (REACTION_NAME.test(s)) return true;
  if (!EMOJI.test(s) || LONE_SURROGATE.test(s)) return false;
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(s)];
  return graphemes.length === 1;
}

/** A message body: 1–4000 characters, not only white space, well-formed Unicode. */
export const Body = z
  .string()
  // \S is the complement of what trim() removes, found without a copy.
  .refine((s) => NOT_WHITE_SPACE.test(s), "must not be empty or only white space")
  .refine((s) => !LONE_SURROGATE.test(s), "must be well-formed Unicode (it has a lone surrogate)")
  // Code points never outnumber UTF-16 units: only a long string needs counting.
  .refine((s) => s.length <= MAX_BODY_CHARS || codePoints(s) <= MAX_BODY_CHARS, `must be at most ${MAX_BODY_CHARS} characters`);

export const ConversationKind = z.enum(["direct", "group"]);
export const Role = z.enum(["owner", "admin", "member"]);
export const PresenceStatus = z.enum(["online", "away", "busy", "offline"]);

/**
 * A reaction: one emoji (a single grapheme that is pictographic, or a flag,
 * or a keycap) or a short name between colons (`:thumbsup:`).
 */
export const Reaction = z
  .string()
  .max(MAX_REACTION_CHARS)
  .refine(isReaction, "must be one emoji or a :name: of 1–32 of a–z, 0–9, _, + and -");

/** How many users a reaction lists (the first who reacted); `count` says how many there are. */
export const ReactionSummary = z.object({
  reaction: Reaction,
  count: z.number().int().positive(),
  user_ids: z.array(UserId),
});
export type ReactionSummary = z.infer<typeof ReactionSummary>;

export const AttachmentId = z.string().regex(/^a_[A-Za-z0-9]{1,64}$/, "must be an attachment id (a_…)");

/** A file attached to a message (since v1.1); its bytes are at `GET /v1/conversations/{id}/attachments/{attachment_id}`. */
export const Attachment = z.object({
  id: AttachmentId,
  name: z.string(),
  content_type: z.string(),
  size: z.number().int().nonnegative(),
  /** Images: their pixel size. */
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
});
export type Attachment = z.infer<typeof Attachment>;

/** What a reply shows of the message it answers (since v1.1): its sender and first characters, read when the reply is read. */
export const ReplyPreview = z.object({
  seq: Seq,
  sender_id: UserId,
  /** The first EXCERPT_CHARS code points of its body; empty when it was deleted. */
  excerpt: z.string(),
  deleted: z.boolean().optional(),
});

/** A message as clients see it. Optional fields are omitted, never null. */
export const Message = z.object({
  conversation_id: ConversationId,
  seq: Seq,
  server_msg_id: z.string(),
  client_msg_id: ClientMsgId,
  sender_id: UserId,
  /** Empty once the message is deleted (a tombstone keeps its seq, sender and time). */
  body: z.string(),
  created_at: z.number().int(),
  reply_to_seq: Seq.optional(),
  /** The conversation's change counter when this message last changed (since v1.1; see `after_rev`). */
  rev: Seq.optional(),
  /** Since v1.1: when the body was last edited, and when the message was deleted. */
  edited_at: z.number().int().optional(),
  deleted_at: z.number().int().optional(),
  /** Since v1.1: the message it answers, as it is now. */
  reply_to: ReplyPreview.optional(),
  /** Since v1.1: members it @-mentions, resolved to user ids when it was sent or edited. */
  mentions: z.array(UserId).optional(),
  /** Since v1.1: reactions, in the order they first appeared; absent when none. */
  reactions: z.array(ReactionSummary).optional(),
  /** Since v1.1: its files; absent when none (and once deleted). */
  attachments: z.array(Attachment).optional(),
});
export type Message = z.infer<typeof Message>;

export const Member = z.object({ user_id: UserId, username: z.string(), role: Role });
export type Member = z.infer<typeof Member>;

/** A conversation as clients see it. */
export const ConversationView = z.object({
  id: ConversationId,
  kind: ConversationKind,
  title: z.string().optional(),
  /** Every member, except in `conversation.joined` of a large room (see `member_count`). */
  members: z.array(Member),
  last_seq: Seq,
  /** How many members there are (since v1.1). When it exceeds `members.length`, page the rest with `GET …/members`. */
  member_count: z.number().int().nonnegative().optional(),
  /** The conversation's change counter (since v1.1): the `rev` of its latest change. */
  last_rev: Seq.optional(),
});
export type ConversationView = z.infer<typeof ConversationView>;

export const Receipt = z.object({ user_id: UserId, read_seq: Seq, delivered_seq: Seq });
export type Receipt = z.infer<typeof Receipt>;

/** The fields of `message.ack`, also the answer of a REST send. */
export const MessageAck = z.object({
  client_msg_id: ClientMsgId,
  server_msg_id: z.string(),
  seq: Seq,
  created_at: z.number().int(),
  duplicate: z.boolean(),
});
export type MessageAck = z.infer<typeof MessageAck>;

/** `data` may be omitted when every field of it is optional. */
const Empty = z.object({}).default({});

function frame<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.object({ v: z.literal(PROTOCOL_VERSION), type: z.literal(type), rid: Rid.optional(), data });
}

// ---------------------------------------------------------------------------
// Client → server, conversation socket (since v1)
// ---------------------------------------------------------------------------

export const HelloData = z
  .object({ client: z.object({ name: z.string().max(64), version: z.string().max(64) }).optional() })
  .default({});
/** At most one cursor: `after_seq` replays messages after a seq; `after_rev` (since v1.1) every change after a rev. */
const oneCursor = (d: { after_seq?: number | undefined; after_rev?: number | undefined }) => d.after_seq === undefined || d.after_rev === undefined;
export const JoinData = z
  .object({ after_seq: Seq.optional(), after_rev: Seq.optional(), limit: PageLimit.optional() })
  .refine(oneCursor, { message: "give after_seq or after_rev, not both", path: ["after_rev"] })
  .default({});
export const SendData = z.object({
  client_msg_id: ClientMsgId,
  body: Body,
  reply_to_seq: Seq.min(1).optional(),
  /** Since v1.1: files uploaded by the sender to this conversation and not attached yet. */
  attachments: z.array(AttachmentId).min(1).max(MAX_ATTACHMENTS).optional(),
});
export type SendData = z.infer<typeof SendData>;
export const SyncData = z
  .object({ after_seq: Seq.optional(), after_rev: Seq.optional(), limit: PageLimit.optional() })
  .refine((d) => (d.after_seq === undefined) !== (d.after_rev === undefined), { message: "give after_seq or after_rev (exactly one)", path: ["after_seq"] });
/** Since v1.1: the sender changes a message's body. */
export const EditData = z.object({ seq: Seq.min(1), body: Body });
/** Since v1.1: the sender, or an owner or admin of a group, deletes a message. */
export const DeleteData = z.object({ seq: Seq.min(1) });
/** Since v1.1: a member adds or removes their reaction. */
export const ReactionData = z.object({ seq: Seq.min(1), reaction: Reaction });
/** The answer to a change (edit, delete, reaction), to the requester: the message's new `rev`; `duplicate` when it changed nothing. */
export const ChangeAck = z.object({ seq: Seq, rev: Seq, duplicate: z.boolean() });
export type ChangeAck = z.infer<typeof ChangeAck>;
export const ReceiptData = z.object({ up_to_seq: Seq });
export const AuthRefreshData = z.object({ access_token: z.string().min(1).max(4096) });

export const ClientFrame = z.discriminatedUnion("type", [
  /** First frame of every socket. Answered `hello.ack`. */
  frame("hello", HelloData),
  /** Subscribes this socket; with `after_seq`, replays what came after it. */
  frame("conversation.join", JoinData),
  /** Sends a message. Answered `message.ack` (to this socket only). */
  frame("message.send", SendData),
  /** Gap fill and paging of the replay. Answered `messages.batch`. */
  frame("sync", SyncData),
  /** The sender is typing; relayed to the others as `typing`. */
  frame("typing.start", Empty),
  /** The sender stopped typing. */
  frame("typing.stop", Empty),
  /** Since v1.1: edits a message. Answered `change.ack`; every live socket gets `message.updated`. */
  frame("message.edit", EditData),
  /** Since v1.1: deletes a message (a tombstone stays). Answered like an edit. */
  frame("message.delete", DeleteData),
  /** Since v1.1: adds the sender's reaction. Answered like an edit. */
  frame("reaction.add", ReactionData),
  /** Since v1.1: removes the sender's reaction. Answered like an edit. */
  frame("reaction.remove", ReactionData),
  /** Read watermark, max-wins, capped at `last_seq`. */
  frame("receipt.read", ReceiptData),
  /** Delivery watermark, max-wins, capped at `last_seq`. */
  frame("receipt.delivered", ReceiptData),
  /** Swaps the socket's token in place. Answered `auth.refreshed`. */
  frame("auth.refresh", AuthRefreshData),
  /** JSON keep-alive. Answered `pong`. (The text frame `ping` also works.) */
  frame("ping", Empty),
]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type ClientFrameType = ClientFrame["type"];
export const CLIENT_FRAME_TYPES: ReadonlySet<string> = new Set(ClientFrame.options.map((o) => o.shape.type.value));

// ---------------------------------------------------------------------------
// Server → client, conversation socket (since v1)
// ---------------------------------------------------------------------------

export const ServerFrame = z.discriminatedUnion("type", [
  /** To one socket: answer to `hello`. */
  frame(
    "hello.ack",
    z.object({
      session_id: z.string(),
      user_id: UserId,
      /** Absent on the inbox socket. */
      conversation_id: ConversationId.optional(),
      server_time: z.number().int(),
      heartbeat_ms: z.number().int().positive(),
      limits: z.object({
        max_body_chars: z.number().int(),
        max_frame_bytes: z.number().int(),
        send_rate: z.object({ messages: z.number().int(), per_ms: z.number().int() }),
      }),
    }),
  ),
  /** To one socket: answer to `conversation.join`. */
  frame(
    "conversation.joined",
    z.object({
      conversation: ConversationView,
      /** Members online; in a large room at most LARGE_ROOM_MEMBERS of them (see `online_count`). */
      online: z.array(UserId),
      /** Receipts of the members listed in `conversation.members`. */
      receipts: z.array(Receipt),
      /** How many members are online (since v1.1). */
      online_count: z.number().int().nonnegative().optional(),
    }),
  ),
  /** To one socket: replay after a join with `after_seq`, and the answer to `sync`. Ascending `seq`. */
  frame("messages.batch", z.object({ messages: z.array(Message), has_more: z.boolean() })),
  /** To the sender's socket only, after the message is durable. */
  frame("message.ack", MessageAck),
  /** To every live socket of the conversation, the sender's included. */
  frame("message.new", z.object({ message: Message })),
  /** Since v1.1: to every live socket, after an edit, a deletion or a reaction: the message as it is now. */
  frame("message.updated", z.object({ message: Message })),
  /** Since v1.1: to the requester's socket only, after a change is durable. */
  frame("change.ack", ChangeAck),
  /** To the other members' sockets. */
  frame(
    "typing",
    z.object({ user_id: UserId, state: z.enum(["start", "stop"]), expires_in_ms: z.number().int().nonnegative() }),
  ),
  /** To every joined socket when a watermark moves; to the requester always. */
  frame("receipt.updated", Receipt),
  /** To every joined socket when a member comes online or goes offline. */
  frame(
    "presence",
    z.object({ user_id: UserId, status: PresenceStatus, last_seen_at: z.number().int().optional() }),
  ),
  /** To every joined socket of a large room: the presence changes of the last batch window, a reversed one left out (since v1.1). */
  frame(
    "presence.batch",
    z.object({
      updates: z.array(z.object({ user_id: UserId, status: z.enum(["online", "offline"]), last_seen_at: z.number().int().optional() })),
    }),
  ),
  /** To every joined socket of a large room: the watermarks that moved in the last batch window (since v1.1). */
  frame("receipts.batch", z.object({ receipts: z.array(Receipt) })),
  /** To every joined socket when a member is added. */
  frame("member.joined", z.object({ user_id: UserId, username: z.string().optional(), role: Role.optional() })),
  /** To every joined socket when a member leaves or is removed. */
  frame("member.left", z.object({ user_id: UserId, username: z.string().optional(), role: Role.optional() })),
  /** To one socket: answer to `auth.refresh`. */
  frame("auth.refreshed", z.object({ expires_at: z.number().int() })),
  /** To one socket: answer to the JSON `ping`. */
  frame("pong", z.object({ server_time: z.number().int() })),
  /** To one socket: a request failed (PROTOCOL §5). */
  frame("error", ErrorBody),
  /** To one socket, just before the server closes it with the matching code. */
  frame(
    "connection.closing",
    z.object({
      reason: z.enum(["token_expired", "removed", "policy_violation", "server_shutdown", "replaced"]),
      retry: z.boolean(),
      retry_after_ms: z.number().int().nonnegative().optional(),
    }),
  ),
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type ServerFrameType = ServerFrame["type"];
/** The `data` of the server frame of type T. */
export type ServerData<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>["data"];
