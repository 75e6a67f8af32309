import { z } from "zod";
import { Attachment, ClientMsgId, Body, ConversationId, ConversationView, Member, MessageAck, Message, PageLimit, Role, Seq, SendData, UserId } from "./frames.ts";
import { MAX_MEMBER_PAGE } from "./limits.ts";
import { InboxConversation } from "./inbox.ts";
import { displayText } from "./text.ts";
import { queryNumber } from "./query.ts";

/** Names that collide with routes (`GET /v1/users/search`) or would confuse people. */
const RESERVED_USERNAMES: ReadonlySet<string> = new Set(["search", "me", "admin", "parley", "system"]);

/** Usernames: 3–32 of [A-Za-z0-9_], unique regardless of case (compared in lower case). */
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9_]{3,32}$/, "must be 3–32 characters of a–z, 0–9 and _")
  .refine((u) => !RESERVED_USERNAMES.has(u.toLowerCase()), "is reserved");

/** Longest group title, in code points. */
export const MAX_TITLE_CHARS = 200;

/** A group title: the rules of every name people see (text.ts), 1–200 characters once trimmed. */
const Title = displayText(MAX_TITLE_CHARS, "must not be empty or only white space");

/** `POST /v1/auth/dev-login` */
export const DevLoginRequest = z.object({ username: Username });

/** Answer of a login (`dev-login`, `refresh`). */
export const LoginResponse = z.object({
  access_token: z.string(),
  expires_at: z.number().int(),
  refresh_token: z.string().optional(),
  user: z.object({ id: UserId, username: z.string() }),
});
export type LoginResponse = z.infer<typeof LoginResponse>;

/** `POST /v1/conversations` */
export const CreateConversationRequest = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("direct"), with: Username }),
  z.object({
    kind: z.literal("group"),
    title: Title,
    members: z.array(Username).max(1000).default([]),
  }),
]);
export type CreateConversationRequest = z.infer<typeof CreateConversationRequest>;

export const ConversationResponse = z.object({ conversation: ConversationView });

/** Query numbers arrive as strings: decimal digits only (query.ts). */
const QuerySeq = queryNumber(Seq);

/** `GET /v1/conversations/{id}/messages?before_seq=&after_seq=&limit=` */
export const HistoryQuery = z.object({
  before_seq: QuerySeq.optional(),
  after_seq: QuerySeq.optional(),
  limit: queryNumber(PageLimit).optional(),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryPage = z.object({ messages: z.array(Message), has_more: z.boolean() });
export type HistoryPage = z.infer<typeof HistoryPage>;

/** `GET /v1/conversations/{id}/members?after=&limit=` (since v1.1): members in `user_id` order. */
export const MembersQuery = z.object({
  after: UserId.optional(),
  limit: queryNumber(z.number().int().min(1).max(MAX_MEMBER_PAGE)).optional(),
});
export type MembersQuery = z.infer<typeof MembersQuery>;

/** A member as the member list shows it: role, watermarks, and whether they are online now. */
/**
 * `last_seen_at` (since v1.1): when the member's last socket on this
 * conversation closed, for a member not online who shares their presence.
 */
export const MemberEntry = Member.extend({ read_seq: Seq, delivered_seq: Seq, online: z.boolean(), last_seen_at: z.number().int().optional() });
export type MemberEntry = z.infer<typeof MemberEntry>;
export const MemberPage = z.object({
  members: z.array(MemberEntry),
  /** Pass as `after` for the next page; absent on the last one. */
  next_after: UserId.optional(),
});
export type MemberPage = z.infer<typeof MemberPage>;

/** `POST /v1/conversations/{id}/messages` — answered with the `message.ack` fields. */
export const SendMessageRequest = SendData;
export const SendMessageResponse = MessageAck;

/** A `{seq}` in a path (since v1.1): digits only, at least 1. */
export const SeqParam = z.string().regex(/^[1-9][0-9]{0,15}$/).transform(Number).pipe(Seq.min(1));

/** `PATCH /v1/conversations/{id}/messages/{seq}` (since v1.1). */
export const EditMessageRequest = z.object({ body: Body });

/** `GET /healthz` */
export const HealthResponse = z.object({ ok: z.literal(true), protocol: z.literal(1) });

/** Largest page of `GET /v1/conversations` (since v1.1), and the default. */
export const MAX_CONVERSATION_PAGE = 100;
export const DEFAULT_CONVERSATION_PAGE = 50;

/**
 * `GET /v1/conversations?cursor=&limit=` (paged since v1.1). `cursor` is the
 * `next_cursor` of the previous page (or of `inbox.snapshot`), unchanged;
 * `limit` is written in decimal digits only.
 */
export const ConversationListQuery = z.object({
  cursor: z.string().min(1).max(200).optional(),
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, `must be a whole number from 1 to ${MAX_CONVERSATION_PAGE}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be from 1 to ${MAX_CONVERSATION_PAGE}`).max(MAX_CONVERSATION_PAGE, `must be from 1 to ${MAX_CONVERSATION_PAGE}`))
    .optional(),
});
export type ConversationListQuery = z.infer<typeof ConversationListQuery>;

/**
 * `GET /v1/conversations` — a page of the caller's conversations, latest
 * activity first; `next_cursor` (since v1.1) is present when more follow.
 */
export const ConversationList = z.object({ conversations: z.array(InboxConversation), next_cursor: z.string().optional() });
export type ConversationList = z.infer<typeof ConversationList>;

/** `POST /v1/conversations/{id}/members` */
export const AddMembersRequest = z.object({ usernames: z.array(Username).min(1).max(100) });

/** `PATCH /v1/conversations/{id}/members/{user_id}` (Parley extension: roles and handover). */
export const SetRoleRequest = z.object({ role: Role });

/** `PATCH /v1/conversations/{id}` (Parley extension: rename a group). */
export const UpdateConversationRequest = z.object({ title: Title });

/** `POST /v1/conversations/{id}/read` */
export const ReadRequest = z.object({ up_to_seq: Seq });

/**
 * `GET /v1/conversations/{id}/poll?after_seq=&timeout_ms=`, or (since v1.2)
 * `?after_rev=`: every change after a rev, edits included. Exactly one cursor.
 */
export const PollQuery = z
  .object({
    after_seq: QuerySeq.optional(),
    after_rev: QuerySeq.optional(),
    timeout_ms: queryNumber(z.number().int().min(0).max(30_000)).optional(),
  })
  .refine((q) => (q.after_seq === undefined) !== (q.after_rev === undefined), {
    message: "required (or, since v1.2, after_rev instead); not both",
    path: ["after_seq"],
  });
/** `last_rev` since v1.2. */
export const PollResponse = z.object({ messages: z.array(Message), last_seq: Seq, last_rev: Seq.optional() });

/** `POST /v1/reports` — a user or a message, for later review. */
export const ReportRequest = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("user"), username: Username, reason: z.string().trim().min(1).max(200), details: z.string().max(2000).optional() }),
  z.object({
    kind: z.literal("message"),
    conversation_id: ConversationId,
    seq: Seq.min(1),
    reason: z.string().trim().min(1).max(200),
    details: z.string().max(2000).optional(),
  }),
]);
export type ReportRequest = z.infer<typeof ReportRequest>;

/** `GET /v1/conversations/{id}/search?q=&limit=&cursor=` and `GET /v1/search?q=&limit=` (since v1.1). */
export const MessageSearchQuery = z.object({
  q: z.string().trim().min(1).max(200),
  limit: z.string().regex(/^[0-9]{1,3}$/, "must be a whole number").transform(Number).pipe(z.number().int().min(1).max(50)).optional(),
  cursor: z.string().regex(/^[0-9]{1,6}$/, "must be a cursor from a previous page").optional(),
});
export type MessageSearchQuery = z.infer<typeof MessageSearchQuery>;

/** A part of a snippet, and whether it matched. */
export const SnippetPart = z.object({ text: z.string(), match: z.boolean() });
export const SearchHit = z.object({
  message: Message,
  snippet: z.array(SnippetPart),
  /** bm25: lower is better. */
  rank: z.number(),
});
export const MessageSearchPage = z.object({
  results: z.array(SearchHit),
  /** Pass as `cursor` for the next page; absent on the last one. */
  next_cursor: z.string().optional(),
  /** Present when the index was still catching up with a large burst: later messages may be missing. */
  partial: z.literal(true).optional(),
});
export type MessageSearchPage = z.infer<typeof MessageSearchPage>;
export const GlobalSearchResponse = z.object({
  results: z.array(SearchHit.extend({ conversation_id: ConversationId })),
  /** True when some conversations were not searched (too many, or too slow): the answer is the best found in time. */
  partial: z.boolean(),
});
export type GlobalSearchResponse = z.infer<typeof GlobalSearchResponse>;

/** `POST /v1/conversations/{id}/attachments?name=` (since v1.1): the file's name as people see it. */
export const UploadQuery = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((n) => !/[\u0000-\u001f\u007f/\\]/.test(n), "must not contain control characters or slashes"),
});

/** The answer of an upload (201). */
export const UploadResponse = z.object({ attachment: Attachment });

/** `PUT /v1/conversations/{id}/mute` (since v1.1): until when (UTC ms, in the future); without it, for ever. */
export const MuteRequest = z.object({ until: z.number().int().positive().optional() });
