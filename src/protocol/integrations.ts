import { z } from "zod";
import { MAX_BODY_CHARS } from "./limits.ts";
import { queryNumber } from "./query.ts";
import { Body, Seq, UserId } from "./frames.ts";
import { AvatarUrl, DisplayName } from "./users.ts";

/**
 * Integrations (since v1.2, docs/protocol.md §22.14–§22.18): bots, webhooks,
 * web push, invite links and the operators' routes. REST only; no frame of
 * either socket changes.
 */

/** Longest URL of a bot's webhook or a webhook endpoint, and of a push endpoint. */
export const MAX_HOOK_URL_CHARS = 2048;

/** A URL as sent: its scheme and host are checked by the server against the deployment's settings. */
export const HookUrl = z.string().min(1).max(MAX_HOOK_URL_CHARS, `must be at most ${MAX_HOOK_URL_CHARS} characters`);

/** `POST /v1/admin/bots` (operators, §22.14). */
export const CreateBotRequest = z.strictObject({
  username: z.string(),
  display_name: DisplayName.optional(),
  avatar_url: AvatarUrl.optional(),
  /** Where Parley calls the bot when it is mentioned or written to in a direct conversation; without it, the bot only uses REST. */
  webhook_url: HookUrl.optional(),
});
export type CreateBotRequest = z.infer<typeof CreateBotRequest>;

/** `PATCH /v1/admin/bots/{user_id}`: a new webhook URL (`null`: none). */
export const UpdateBotRequest = z.strictObject({ webhook_url: HookUrl.nullable() });

/**
 * What a bot's webhook may answer (JSON; a plain-text body is the same as
 * `{body}`): a message posted as the bot, optionally as a reply.
 */
export const BotReply = z.object({ body: Body, reply_to: Seq.optional() });
export type BotReply = z.infer<typeof BotReply>;

/** Events a webhook endpoint may subscribe to (§22.15). */
export const WebhookEventType = z.enum([
  "message.created",
  "message.edited",
  "message.deleted",
  "member.joined",
  "member.left",
  "conversation.created",
]);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** `POST /v1/admin/webhooks {url, events}`. */
export const CreateWebhookRequest = z.strictObject({
  url: HookUrl,
  events: z.array(WebhookEventType).min(1, "name at least one event").max(WebhookEventType.options.length)
    .refine((e) => new Set(e).size === e.length, "must not repeat an event"),
});
export type CreateWebhookRequest = z.infer<typeof CreateWebhookRequest>;

/** An event as a webhook endpoint receives it (the signed body). */
export const WebhookEvent = z.object({
  /** Unique per event: a receiver drops an id it has seen (delivery is at least once). */
  id: z.string(),
  type: WebhookEventType,
  created_at: z.number().int(),
  conversation_id: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** `GET /v1/admin/webhooks/{id}/deliveries?status=&limit=&cursor=`. */
export const DeliveriesQuery = z.object({
  status: z.enum(["pending", "delivered", "failed"]).optional(),
  limit: queryNumber(z.number().int().min(1).max(200)).optional(),
  cursor: z.string().regex(/^\d{1,15}$/, "pass next_cursor back unchanged").optional(),
});

/** base64url without padding. */
const B64Url = (bytes: number) =>
  z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, "must be base64url").refine((s) => decodedLength(s) === bytes, `must encode ${bytes} bytes`);

function decodedLength(s: string): number {
  const bare = s.replace(/=+$/, "");
  return Math.floor((bare.length * 3) / 4);
}

/** Most push subscriptions per user (§22.16). */
export const MAX_PUSH_SUBSCRIPTIONS = 10;

/** `POST /v1/me/push-subscriptions`: a browser's `PushSubscription.toJSON()`. */
export const PushSubscriptionRequest = z.object({
  endpoint: HookUrl,
  expirationTime: z.number().int().nullable().optional(),
  keys: z.object({ p256dh: B64Url(65), auth: B64Url(16) }),
});
export type PushSubscriptionRequest = z.infer<typeof PushSubscriptionRequest>;

/** `DELETE /v1/me/push-subscriptions?endpoint=`. */
export const PushUnsubscribeQuery = z.object({ endpoint: HookUrl });

/** What a push message carries once decrypted (at most ~1 KB). */
export const PushPayload = z.object({
  kind: z.enum(["mention", "reply", "direct"]),
  title: z.string(),
  body: z.string(),
  conversation_id: z.string(),
  seq: Seq,
  url: z.string(),
});
export type PushPayload = z.infer<typeof PushPayload>;

/** Longest life of an invite link: 30 days; the default is 7. */
export const MAX_INVITE_TTL_MS = 30 * 24 * 3600 * 1000;
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 3600 * 1000;
export const MAX_INVITE_USES = 10_000;
/** Open invites per group. */
export const MAX_INVITES_PER_GROUP = 100;

/** `POST /v1/conversations/{id}/invites {expires_in?, max_uses?}` (§22.17). */
export const CreateInviteRequest = z.strictObject({
  expires_in: z.number().int().min(60_000).max(MAX_INVITE_TTL_MS).optional(),
  max_uses: z.number().int().min(1).max(MAX_INVITE_USES).optional(),
});

/**
 * An invite code: the group's id, a dot, and 22 random symbols (≈ 131 bits).
 * Only the hash of the random part is stored.
 */
export const InviteCode = z.string().max(200).regex(/^c_g[0-9A-Za-z]{20}[0-9A-Za-z_-]{22}\.[0-9A-Za-z]{22}$/);
/** An invite as its group's owner and admins list it: the code itself is shown only once, at creation. */
export const InviteView = z.object({
  id: z.string(),
  created_by: UserId,
  created_at: z.number().int(),
  expires_at: z.number().int(),
  max_uses: z.number().int().optional(),
  uses: z.number().int(),
  revoked: z.boolean(),
});
export type InviteView = z.infer<typeof InviteView>;

/** `GET /v1/admin/reports?status=&limit=&cursor=` (§22.18). */
export const AdminReportsQuery = z.object({
  status: z.enum(["open", "resolved"]).optional(),
  limit: queryNumber(z.number().int().min(1).max(200)).optional(),
  cursor: z.string().max(100).regex(/^\d{1,15}:rp_[0-9A-Za-z]{20}$/, "pass next_cursor back unchanged").optional(),
});
export const ReportIdParam = z.string().regex(/^rp_[0-9A-Za-z]{20}$/);

/** `POST /v1/admin/reports/{id}/resolve {note}`. */
export const ResolveReportRequest = z.strictObject({ note: z.string().trim().min(1).max(1000) });

/** `POST /v1/admin/users/{user_id}/suspend {reason?}`. */
export const SuspendRequest = z.strictObject({ reason: z.string().trim().min(1).max(500).optional() });

/** Longest body a bot's webhook answer may carry to be posted. */
export const MAX_BOT_REPLY_CHARS = MAX_BODY_CHARS;
