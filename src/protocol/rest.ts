import { z } from "zod";
import { ClientMsgId, Body, ConversationId, ConversationView, Member, MessageAck, Message, PageLimit, Role, Seq, UserId } from "./frames.ts";
import { MAX_MEMBER_PAGE } from "./limits.ts";
import { InboxConversation } from "./inbox.ts";
import { queryNumber } from "./query.ts";

/** Names that collide with routes (`GET /v1/users/search`) or would confuse people. */
const RESERVED_USERNAMES: ReadonlySet<string> = new Set(["search", "me", "admin", "parley", "system"]);

/** Usernames: 3–32 of [A-Za-z0-9_], unique regardless of case (compared in lower case). */
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9_]{3,32}$/, "must be 3–32 characters of a–z, 0–9 and _")
  .refine((u) => !RESERVED_USERNAMES.has(u.toLowerCase()), "is reserved");

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
    title: z.string().trim().min(1).max(200),
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
export const MemberEntry = Member.extend({ read_seq: Seq, delivered_seq: Seq, online: z.boolean() });
export const MemberPage = z.object({
  members: z.array(MemberEntry),
  /** Pass as `after` for the next page; absent on the last one. */
  next_after: UserId.optional(),
});
export type MemberPage = z.infer<typeof MemberPage>;

/** `POST /v1/conversations/{id}/messages` — answered with the `message.ack` fields. */
export const SendMessageRequest = z.object({
  client_msg_id: ClientMsgId,
  body: Body,
  reply_to_seq: Seq.min(1).optional(),
});
export const SendMessageResponse = MessageAck;

/** `GET /healthz` */
export const HealthResponse = z.object({ ok: z.literal(true), protocol: z.literal(1) });

/** `GET /v1/conversations` — the caller's conversations, latest activity first. */
export const ConversationList = z.object({ conversations: z.array(InboxConversation) });

/** `POST /v1/conversations/{id}/members` */
export const AddMembersRequest = z.object({ usernames: z.array(Username).min(1).max(100) });

/** `PATCH /v1/conversations/{id}/members/{user_id}` (Parley extension: roles and handover). */
export const SetRoleRequest = z.object({ role: Role });

/** `PATCH /v1/conversations/{id}` (Parley extension: rename a group). */
export const UpdateConversationRequest = z.object({ title: z.string().trim().min(1).max(200) });

/** `POST /v1/conversations/{id}/read` */
export const ReadRequest = z.object({ up_to_seq: Seq });

/** `GET /v1/conversations/{id}/poll?after_seq=&timeout_ms=` */
export const PollQuery = z.object({
  after_seq: QuerySeq,
  timeout_ms: queryNumber(z.number().int().min(0).max(30_000)).optional(),
});
export const PollResponse = z.object({ messages: z.array(Message), last_seq: Seq });

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
