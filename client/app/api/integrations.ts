/**
 * The web app's calls for issue 11's routes (docs/protocol.md §22.14–§22.18):
 * invite links, web push subscriptions, and the operators' routes. Same
 * rules as ./rest.ts: through ./http.ts, errors thrown as `ParleyError`.
 */
import type { ConversationView, Message } from "../../src/index.ts";
import { WebhookEventType } from "../../../src/protocol/index.ts";
import type {
  AdminReport, AdminUserResponse, BotList, DeliveryView, InviteView, MetricsResponse, UserView, WebhookView,
} from "../../../src/protocol/index.ts";
import { call } from "./http.ts";

const enc = encodeURIComponent;

// --- invite links (§22.17) ---------------------------------------------------

export type Invite = InviteView;

/** `POST /v1/conversations/{id}/invites`: the code and URL are shown this once. */
export function createInvite(conversationId: string, expiresInMs: number, maxUses?: number): Promise<{ code: string; url: string; invite: Invite }> {
  return call("POST", `/v1/conversations/${enc(conversationId)}/invites`, { expires_in: expiresInMs, ...(maxUses !== undefined ? { max_uses: maxUses } : {}) });
}

export function listInvites(conversationId: string): Promise<{ invites: Invite[] }> {
  return call("GET", `/v1/conversations/${enc(conversationId)}/invites`);
}

export function revokeInvite(conversationId: string, inviteId: string): Promise<{ invite: Invite }> {
  return call("DELETE", `/v1/conversations/${enc(conversationId)}/invites/${enc(inviteId)}`);
}

/** `GET /v1/invites/{code}`: what the group looks like before joining. */
export function previewInvite(code: string): Promise<{ invite: { title?: string; member_count: number; expires_at: number } }> {
  return call("GET", `/v1/invites/${enc(code)}`);
}

export function joinInvite(code: string): Promise<{ conversation: ConversationView; joined: boolean }> {
  return call("POST", `/v1/invites/${enc(code)}/join`, {});
}

// --- web push (§22.16) ---------------------------------------------------------

/** The deployment's VAPID public key; `not_found` when push is not configured. */
export function vapidKey(): Promise<{ public_key: string }> {
  return call("GET", "/v1/push/vapid-key");
}

export function addPushSubscription(subscription: PushSubscriptionJSON): Promise<{ subscriptions: number; replaced?: boolean }> {
  return call("POST", "/v1/me/push-subscriptions", subscription);
}

export function removePushSubscription(endpoint: string): Promise<{ removed: boolean }> {
  return call("DELETE", `/v1/me/push-subscriptions?${new URLSearchParams({ endpoint })}`);
}

// --- operators (§22.18) ---------------------------------------------------------

export type Report = AdminReport;

export function reports(status: "open" | "resolved", cursor?: string): Promise<{ reports: Report[]; next_cursor?: string }> {
  const qs = new URLSearchParams({ status, limit: "100" });
  if (cursor) qs.set("cursor", cursor);
  return call("GET", `/v1/admin/reports?${qs}`);
}

export function reportDetail(id: string): Promise<{ report: Report; context?: { conversation: ConversationView; messages: Message[] } }> {
  return call("GET", `/v1/admin/reports/${enc(id)}`);
}

export function resolveReport(id: string, note: string): Promise<{ report: Report }> {
  return call("POST", `/v1/admin/reports/${enc(id)}/resolve`, { note });
}

export type Standing = AdminUserResponse["standing"];

export function adminUser(userId: string): Promise<{ user: UserView; standing: Standing }> {
  return call("GET", `/v1/admin/users/${enc(userId)}`);
}

export function suspend(userId: string, reason?: string): Promise<{ suspended: true; sockets_closed: number }> {
  return call("POST", `/v1/admin/users/${enc(userId)}/suspend`, reason ? { reason } : {});
}

export function unsuspend(userId: string): Promise<{ suspended: false }> {
  return call("DELETE", `/v1/admin/users/${enc(userId)}/suspend`);
}

export function adminDeleteMessage(conversationId: string, seq: number): Promise<unknown> {
  return call("DELETE", `/v1/admin/conversations/${enc(conversationId)}/messages/${seq}`);
}

export type BotSummary = BotList["bots"][number];

export function bots(): Promise<{ bots: BotSummary[] }> {
  return call("GET", "/v1/admin/bots");
}

export function createBot(input: { username: string; display_name?: string; webhook_url?: string }): Promise<{ bot: { user: UserView; webhook_url?: string }; token: string; webhook_secret: string }> {
  return call("POST", "/v1/admin/bots", input);
}

export function rotateBotToken(userId: string): Promise<{ token: string }> {
  return call("POST", `/v1/admin/bots/${enc(userId)}/token`);
}

export function revokeBotToken(userId: string): Promise<{ revoked: true }> {
  return call("DELETE", `/v1/admin/bots/${enc(userId)}/token`);
}

export type Webhook = WebhookView;

export const WEBHOOK_EVENTS = WebhookEventType.options;

export function webhooks(): Promise<{ webhooks: Webhook[] }> {
  return call("GET", "/v1/admin/webhooks");
}

export function createWebhook(url: string, events: string[]): Promise<{ webhook: Webhook; secret: string }> {
  return call("POST", "/v1/admin/webhooks", { url, events });
}

export function deleteWebhook(id: string): Promise<{ deleted: true }> {
  return call("DELETE", `/v1/admin/webhooks/${enc(id)}`);
}

export type Delivery = DeliveryView;

export function deliveries(webhookId: string, status?: Delivery["status"]): Promise<{ deliveries: Delivery[]; next_cursor?: string }> {
  const qs = new URLSearchParams({ limit: "200" });
  if (status) qs.set("status", status);
  return call("GET", `/v1/admin/webhooks/${enc(webhookId)}/deliveries?${qs}`);
}

export function replayDelivery(webhookId: string, eventId: string): Promise<{ delivery: Delivery }> {
  return call("POST", `/v1/admin/webhooks/${enc(webhookId)}/deliveries/${enc(eventId)}/replay`);
}

export function replayFailed(webhookId: string): Promise<{ replayed: number }> {
  return call("POST", `/v1/admin/webhooks/${enc(webhookId)}/deliveries/replay`);
}

export type Metrics = MetricsResponse;

export function metrics(): Promise<Metrics> {
  return call("GET", "/v1/admin/metrics");
}
