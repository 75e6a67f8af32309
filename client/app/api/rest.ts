/**
 * REST routes the SDK's `ParleyApi` does not cover yet (docs/protocol.md
 * §15, §22), typed with the contract's types. Each could move into the SDK
 * as it is; until then the app calls them through ./http.ts.
 */
import type { ConversationView, InboxConversation, Message } from "../../src/index.ts";
import type { MemberPage, MeResponse, Notification, Settings, UserView } from "../../../src/protocol/index.ts";
import { call } from "./http.ts";

const conv = (id: string) => `/v1/conversations/${encodeURIComponent(id)}`;

/** `GET /v1/conversations?cursor=&limit=`: a page of the list beyond the inbox snapshot (the SDK reads the first page only). */
export function conversationsPage(cursor?: string, limit = 50): Promise<{ conversations: InboxConversation[]; next_cursor?: string }> {
  const qs = new URLSearchParams({ limit: String(limit) });
  if (cursor) qs.set("cursor", cursor);
  return call("GET", `/v1/conversations?${qs}`);
}

/** `GET /v1/users/search?q=`: people by username or display name. */
export function searchUsers(q: string, limit = 10): Promise<{ users: UserView[]; next_cursor?: string }> {
  return call("GET", `/v1/users/search?${new URLSearchParams({ q, limit: String(limit) })}`);
}

/** `PATCH /v1/conversations/{id}`: renames a group (owner and admins). */
export async function renameGroup(id: string, title: string): Promise<ConversationView> {
  return (await call<{ conversation: ConversationView }>("PATCH", conv(id), { title })).conversation;
}

/** `POST /v1/conversations/{id}/members`. */
export async function addMembers(id: string, usernames: string[]): Promise<ConversationView> {
  return (await call<{ conversation: ConversationView }>("POST", `${conv(id)}/members`, { usernames })).conversation;
}

/** `DELETE /v1/conversations/{id}/members/{user_id}`: removes someone, or (one's own id) leaves. */
export async function removeMember(id: string, userId: string): Promise<ConversationView> {
  return (await call<{ conversation: ConversationView }>("DELETE", `${conv(id)}/members/${encodeURIComponent(userId)}`)).conversation;
}

/** `PATCH /v1/conversations/{id}/members/{user_id}`: `owner` hands the group over. */
export async function setRole(id: string, userId: string, role: "owner" | "admin" | "member"): Promise<ConversationView> {
  return (await call<{ conversation: ConversationView }>("PATCH", `${conv(id)}/members/${encodeURIComponent(userId)}`, { role })).conversation;
}

/** `GET /v1/conversations/{id}/members`: the member list of a large room, a page at a time. */
export function membersPage(id: string, after?: string): Promise<MemberPage> {
  const qs = new URLSearchParams({ limit: "500" });
  if (after) qs.set("after", after);
  return call("GET", `${conv(id)}/members?${qs}`);
}

/** `PUT` / `DELETE /v1/conversations/{id}/mute`. */
export function setMuted(id: string, muted: boolean, until?: number): Promise<{ muted: boolean; muted_until?: number }> {
  return muted ? call("PUT", `${conv(id)}/mute`, until !== undefined ? { until } : {}) : call("DELETE", `${conv(id)}/mute`);
}

/** `POST /v1/conversations/{id}/read`: the read watermark over REST (when no socket is open). */
export function markRead(id: string, upToSeq: number): Promise<unknown> {
  return call("POST", `${conv(id)}/read`, { up_to_seq: upToSeq });
}

/** `GET /v1/conversations/{id}/messages` with both bounds: a window, for a jump to an old message. */
export function historyWindow(id: string, afterSeq: number, beforeSeq: number): Promise<{ messages: Message[]; has_more: boolean }> {
  const qs = new URLSearchParams({ after_seq: String(afterSeq), before_seq: String(beforeSeq), limit: "1000" });
  return call("GET", `${conv(id)}/messages?${qs}`);
}

/** `POST` / `DELETE /v1/blocks/{username}`. */
export function setBlocked(username: string, blocked: boolean): Promise<{ username: string; blocked: boolean }> {
  return call(blocked ? "POST" : "DELETE", `/v1/blocks/${encodeURIComponent(username)}`);
}

export type ReportTarget = { kind: "user"; username: string } | { kind: "message"; conversation_id: string; seq: number };

/** `POST /v1/reports`. */
export function report(target: ReportTarget, reason: string, details?: string): Promise<{ report: { id: string } }> {
  return call("POST", "/v1/reports", { ...target, reason, ...(details ? { details } : {}) });
}

/** `GET /v1/notifications`, newest first. */
export function notifications(limit = 50): Promise<{ notifications: Notification[]; notifications_unread: number }> {
  return call("GET", `/v1/notifications?limit=${limit}`);
}

/** `POST /v1/notifications/read`. */
export function readNotifications(ids: string[]): Promise<{ ids: string[]; notifications_unread: number }> {
  return call("POST", "/v1/notifications/read", { ids });
}

export type MePatch = { display_name?: string | null; avatar_url?: string | null; settings?: Partial<Settings> };

/** `PATCH /v1/me`: profile and settings. */
export function patchMe(patch: MePatch): Promise<MeResponse> {
  return call("PATCH", "/v1/me", patch);
}

