/**
 * REST answers of the v1.2 routes that the Worker builds inline (sessions,
 * web push, invite links, bots, webhooks, operators): named here so that
 * the SDK checks and types them like every other answer (docs/protocol.md
 * §22.10, §22.11, §22.14–§22.18). Shapes only, as the routes already send
 * them; no route changes with them. Objects are not strict: a later
 * additive field must not make an older SDK refuse an answer.
 */
import { z } from "zod";
import { ChangeAck, ConversationView, Message, Seq, UserId } from "./frames.ts";
import { InviteView, WebhookEventType } from "./integrations.ts";
import { UserView } from "./users.ts";

// --- sessions (§22.10) ---------------------------------------------------------

/** `POST /v1/me/sessions/revoke-others`: how many other sessions ended. */
export const RevokeOthersResponse = z.object({ revoked: z.number().int().nonnegative() });
export type RevokeOthersResponse = z.infer<typeof RevokeOthersResponse>;

// --- web push (§22.16) ---------------------------------------------------------

/** `GET /v1/push/vapid-key`: the `applicationServerKey` to subscribe with (base64url). */
export const VapidKeyResponse = z.object({ public_key: z.string().min(1) });
export type VapidKeyResponse = z.infer<typeof VapidKeyResponse>;

/** `POST /v1/me/push-subscriptions`: the user's subscription count after it, and the endpoint a full list dropped. */
export const PushSubscribeResponse = z.object({ subscriptions: z.number().int().nonnegative(), replaced: z.string().optional() });
export type PushSubscribeResponse = z.infer<typeof PushSubscribeResponse>;

/** `DELETE /v1/me/push-subscriptions?endpoint=`: whether there was such a subscription. */
export const PushUnsubscribeResponse = z.object({ removed: z.boolean() });
export type PushUnsubscribeResponse = z.infer<typeof PushUnsubscribeResponse>;

// --- invite links (§22.17) -----------------------------------------------------

/** `POST …/invites`: the code (shown only here), a link to it, and the invite as lists show it. */
export const CreateInviteResponse = z.object({ code: z.string(), url: z.string(), invite: InviteView });
export type CreateInviteResponse = z.infer<typeof CreateInviteResponse>;

/** `GET …/invites`. */
export const InviteList = z.object({ invites: z.array(InviteView) });
export type InviteList = z.infer<typeof InviteList>;

/** `DELETE …/invites/{id or code}`: the invite, now revoked. */
export const InviteResponse = z.object({ invite: InviteView });
export type InviteResponse = z.infer<typeof InviteResponse>;

/** `GET /v1/invites/{code}`: what a person about to join is shown. */
export const InvitePreview = z.object({
  invite: z.object({ title: z.string().optional(), member_count: z.number().int().nonnegative(), expires_at: z.number().int() }),
});
export type InvitePreview = z.infer<typeof InvitePreview>;

/** `POST /v1/invites/{code}/join`: the group; `joined: false` for someone who was in it already. */
export const JoinInviteResponse = z.object({ conversation: ConversationView, joined: z.boolean() });
export type JoinInviteResponse = z.infer<typeof JoinInviteResponse>;

// --- bots (§22.14) -------------------------------------------------------------

/** `POST /v1/admin/bots`: the bot, its token and its webhook secret (both shown only here). */
export const CreateBotResponse = z.object({
  bot: z.object({ user: UserView, webhook_url: z.string().optional() }),
  token: z.string(),
  webhook_secret: z.string(),
});
export type CreateBotResponse = z.infer<typeof CreateBotResponse>;

/** `GET /v1/admin/bots`. */
export const BotList = z.object({ bots: z.array(z.object({ user_id: UserId, username: z.string(), created_at: z.number().int() })) });
export type BotList = z.infer<typeof BotList>;

/** `PATCH /v1/admin/bots/{user_id}`. */
export const UpdateBotResponse = z.object({ bot: z.object({ user_id: UserId, webhook_url: z.string().optional() }) });
export type UpdateBotResponse = z.infer<typeof UpdateBotResponse>;

/** `POST /v1/admin/bots/{user_id}/token`: the new token (the old one stopped). */
export const BotTokenResponse = z.object({ token: z.string() });
export type BotTokenResponse = z.infer<typeof BotTokenResponse>;

/** `DELETE /v1/admin/bots/{user_id}/token`. */
export const RevokeBotTokenResponse = z.object({ revoked: z.literal(true) });

// --- webhooks (§22.15) ---------------------------------------------------------

/** A webhook endpoint as operators list it (its secret is shown only at creation). */
export const WebhookView = z.object({ id: z.string(), url: z.string(), events: z.array(WebhookEventType), created_at: z.number().int() });
export type WebhookView = z.infer<typeof WebhookView>;

/** `POST /v1/admin/webhooks`. */
export const CreateWebhookResponse = z.object({ webhook: WebhookView, secret: z.string() });
export type CreateWebhookResponse = z.infer<typeof CreateWebhookResponse>;

/** `GET /v1/admin/webhooks`. */
export const WebhookList = z.object({ webhooks: z.array(WebhookView) });
export type WebhookList = z.infer<typeof WebhookList>;

/** `DELETE /v1/admin/webhooks/{id}`. */
export const DeleteWebhookResponse = z.object({ deleted: z.literal(true) });

/** One event's delivery to one endpoint, as the delivery log keeps it. */
export const DeliveryView = z.object({
  id: z.string(),
  conversation_id: z.string(),
  type: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int().nonnegative(),
  created_at: z.number().int(),
  last_status: z.number().int().optional(),
  last_error: z.string().optional(),
  last_attempt_at: z.number().int().optional(),
  delivered_at: z.number().int().optional(),
  next_attempt_at: z.number().int().optional(),
});
export type DeliveryView = z.infer<typeof DeliveryView>;

/** `GET /v1/admin/webhooks/{id}/deliveries`: oldest first; pass `next_cursor` back as `cursor`. */
export const DeliveryPage = z.object({ deliveries: z.array(DeliveryView), next_cursor: z.string().optional() });
export type DeliveryPage = z.infer<typeof DeliveryPage>;

/** `POST /v1/admin/webhooks/{id}/deliveries/{event_id}/replay`. */
export const DeliveryResponse = z.object({ delivery: DeliveryView });
export type DeliveryResponse = z.infer<typeof DeliveryResponse>;

/** `POST /v1/admin/webhooks/{id}/deliveries/replay`: how many failed deliveries were sent again. */
export const ReplayResponse = z.object({ replayed: z.number().int().nonnegative() });
export type ReplayResponse = z.infer<typeof ReplayResponse>;

// --- operators (§22.18) --------------------------------------------------------

/** A report as operators read it. */
export const AdminReport = z.object({
  id: z.string(),
  reporter_id: UserId,
  kind: z.enum(["user", "message"]),
  target_user_id: UserId,
  conversation_id: z.string().optional(),
  seq: Seq.optional(),
  message: Message.optional(),
  reason: z.string(),
  details: z.string().optional(),
  created_at: z.number().int(),
  status: z.enum(["open", "resolved"]),
  resolved_at: z.number().int().optional(),
  resolved_by: z.string().optional(),
  resolution_note: z.string().optional(),
});
export type AdminReport = z.infer<typeof AdminReport>;

/** `GET /v1/admin/reports`: oldest first across every shard. */
export const AdminReportPage = z.object({ reports: z.array(AdminReport), next_cursor: z.string().optional() });
export type AdminReportPage = z.infer<typeof AdminReportPage>;

/** `GET /v1/admin/reports/{id}`: with the messages around a reported message. */
export const AdminReportResponse = z.object({
  report: AdminReport,
  context: z.object({ conversation: ConversationView, messages: z.array(Message) }).optional(),
});
export type AdminReportResponse = z.infer<typeof AdminReportResponse>;

/** `POST /v1/admin/reports/{id}/resolve`. */
export const ResolveReportResponse = z.object({ report: AdminReport });
export type ResolveReportResponse = z.infer<typeof ResolveReportResponse>;

/** `POST /v1/admin/users/{user_id}/suspend`: and how many of the user's sockets were closed. */
export const SuspendResponse = z.object({ suspended: z.literal(true), sockets_closed: z.number().int().nonnegative() });
export type SuspendResponse = z.infer<typeof SuspendResponse>;

/** `DELETE /v1/admin/users/{user_id}/suspend`. */
export const UnsuspendResponse = z.object({ suspended: z.literal(false) });

/** `GET /v1/admin/users/{user_id}`: the profile and whether the user is suspended. */
export const AdminUserResponse = z.object({
  user: UserView,
  standing: z.object({ suspended: z.boolean(), suspended_at: z.number().int().optional(), reason: z.string().optional() }),
});
export type AdminUserResponse = z.infer<typeof AdminUserResponse>;

/** `DELETE /v1/admin/conversations/{id}/messages/{seq}`: the `change.ack` fields of the tombstone. */
export const OperatorDeleteResponse = ChangeAck;

/** `GET /v1/admin/metrics`: counters and gauges summed over the shards (docs/operations.md). */
export const MetricsResponse = z.object({
  counters: z.record(z.string(), z.number()),
  gauges: z.record(z.string(), z.number()),
  analytics_engine: z.boolean(),
  at: z.number().int(),
});
export type MetricsResponse = z.infer<typeof MetricsResponse>;
