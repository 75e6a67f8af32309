import type { z } from "zod";
import {
  AdminReportPage,
  AdminReportResponse,
  AdminUserResponse,
  BotList,
  BotTokenResponse,
  CreateBotResponse,
  CreateWebhookResponse,
  DeleteWebhookResponse,
  DeliveryPage,
  DeliveryResponse,
  MetricsResponse,
  OperatorDeleteResponse,
  ReplayResponse,
  ResolveReportResponse,
  RevokeBotTokenResponse,
  SuspendResponse,
  UnsuspendResponse,
  UpdateBotResponse,
  WebhookList,
  type AdminReport,
  type ChangeAck,
  type CreateBotRequest,
  type DeliveryView,
  type WebhookEventType,
  type WebhookView,
} from "../../src/protocol/index.ts";

/** One authenticated REST call of the client's `ParleyApi` (token, one refresh on 401, the answer checked by `schema`). */
export type AdminCall = <S extends z.ZodType>(method: string, path: string, body: unknown, schema: S) => Promise<z.infer<S>>;

/** Options of a page of reports. */
export interface AdminReportsOptions {
  status?: "open" | "resolved";
  /** 1–200, default 50. */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/** Options of a page of a webhook's deliveries. */
export interface DeliveriesOptions {
  status?: "pending" | "delivered" | "failed";
  /** 1–200, default 50. */
  limit?: number;
  cursor?: string;
}

/**
 * The operators' routes (`/v1/admin/*`, protocol §22.14, §22.15, §22.18),
 * kept apart from `ParleyApi` so that application code does not reach them
 * by accident: `client.api.admin`. Only users named by the deployment's
 * `OPERATORS` setting may call them; anyone else gets `not_found` from
 * every one (the routes do not reveal that they exist), bots included.
 */
export class ParleyAdmin {
  readonly #call: AdminCall;

  constructor(call: AdminCall) {
    this.#call = call;
  }

  // --- reports -----------------------------------------------------------------

  /** `GET /v1/admin/reports`: oldest first, across every shard; page with `next_cursor`. */
  reports(options: AdminReportsOptions = {}): Promise<AdminReportPage> {
    return this.#call("GET", `/v1/admin/reports${query({ status: options.status, limit: options.limit, cursor: options.cursor })}`, undefined, AdminReportPage);
  }

  /** `GET /v1/admin/reports/{id}`: for a message report, with up to five messages either side (read without membership; logged). */
  report(id: string): Promise<AdminReportResponse> {
    return this.#call("GET", `/v1/admin/reports/${encodeURIComponent(id)}`, undefined, AdminReportResponse);
  }

  /** `POST /v1/admin/reports/{id}/resolve`: `conflict` when it is resolved already. */
  async resolveReport(id: string, note: string): Promise<AdminReport> {
    return (await this.#call("POST", `/v1/admin/reports/${encodeURIComponent(id)}/resolve`, { note }, ResolveReportResponse)).report;
  }

  // --- users and messages --------------------------------------------------------

  /** `GET /v1/admin/users/{user_id}`: the profile and its standing. */
  user(userId: string): Promise<AdminUserResponse> {
    return this.#call("GET", `/v1/admin/users/${encodeURIComponent(userId)}`, undefined, AdminUserResponse);
  }

  /**
   * `POST /v1/admin/users/{user_id}/suspend`: closes the user's sockets
   * (4003, `suspended`); every call of theirs is then `forbidden`.
   */
  suspend(userId: string, reason?: string): Promise<SuspendResponse> {
    return this.#call("POST", `/v1/admin/users/${encodeURIComponent(userId)}/suspend`, reason !== undefined ? { reason } : {}, SuspendResponse);
  }

  /** `DELETE /v1/admin/users/{user_id}/suspend`: restores everything (sessions were not revoked). */
  async unsuspend(userId: string): Promise<void> {
    await this.#call("DELETE", `/v1/admin/users/${encodeURIComponent(userId)}/suspend`, undefined, UnsuspendResponse);
  }

  /** `DELETE /v1/admin/conversations/{id}/messages/{seq}`: a tombstone, as a deletion by its sender. */
  deleteMessage(conversationId: string, seq: number): Promise<ChangeAck> {
    return this.#call("DELETE", `/v1/admin/conversations/${encodeURIComponent(conversationId)}/messages/${seq}`, undefined, OperatorDeleteResponse);
  }

  /** `GET /v1/admin/metrics`: counters and gauges (docs/operations.md). */
  metrics(): Promise<MetricsResponse> {
    return this.#call("GET", "/v1/admin/metrics", undefined, MetricsResponse);
  }

  // --- bots ------------------------------------------------------------------------

  /**
   * `POST /v1/admin/bots`: a bot account. Its `token` and `webhook_secret`
   * are shown only here: hand the token to the bot's backend, which calls
   * the API with `ParleyApi.forBot(baseUrl, token)`.
   */
  createBot(bot: CreateBotRequest): Promise<CreateBotResponse> {
    return this.#call("POST", "/v1/admin/bots", bot, CreateBotResponse);
  }

  /** `GET /v1/admin/bots`. */
  async bots(): Promise<BotList["bots"]> {
    return (await this.#call("GET", "/v1/admin/bots", undefined, BotList)).bots;
  }

  /** `PATCH /v1/admin/bots/{user_id}`: a new webhook URL, or `null` for none. */
  async setBotWebhook(botId: string, webhookUrl: string | null): Promise<UpdateBotResponse["bot"]> {
    return (await this.#call("PATCH", `/v1/admin/bots/${encodeURIComponent(botId)}`, { webhook_url: webhookUrl }, UpdateBotResponse)).bot;
  }

  /** `POST /v1/admin/bots/{user_id}/token`: a new token; the old one stops at once. */
  async rotateBotToken(botId: string): Promise<string> {
    return (await this.#call("POST", `/v1/admin/bots/${encodeURIComponent(botId)}/token`, undefined, BotTokenResponse)).token;
  }

  /** `DELETE /v1/admin/bots/{user_id}/token`: the bot has no working token until the next rotation. */
  async revokeBotToken(botId: string): Promise<void> {
    await this.#call("DELETE", `/v1/admin/bots/${encodeURIComponent(botId)}/token`, undefined, RevokeBotTokenResponse);
  }

  // --- webhooks ----------------------------------------------------------------------

  /** `POST /v1/admin/webhooks`: the endpoint and its signing `secret` (shown only here). */
  createWebhook(url: string, events: WebhookEventType[]): Promise<CreateWebhookResponse> {
    return this.#call("POST", "/v1/admin/webhooks", { url, events }, CreateWebhookResponse);
  }

  /** `GET /v1/admin/webhooks`. */
  async webhooks(): Promise<WebhookView[]> {
    return (await this.#call("GET", "/v1/admin/webhooks", undefined, WebhookList)).webhooks;
  }

  /** `DELETE /v1/admin/webhooks/{id}`. */
  async deleteWebhook(id: string): Promise<void> {
    await this.#call("DELETE", `/v1/admin/webhooks/${encodeURIComponent(id)}`, undefined, DeleteWebhookResponse);
  }

  /** `GET /v1/admin/webhooks/{id}/deliveries`: the delivery log, oldest first. */
  deliveries(webhookId: string, options: DeliveriesOptions = {}): Promise<DeliveryPage> {
    const qs = query({ status: options.status, limit: options.limit, cursor: options.cursor });
    return this.#call("GET", `/v1/admin/webhooks/${encodeURIComponent(webhookId)}/deliveries${qs}`, undefined, DeliveryPage);
  }

  /** `POST …/deliveries/{event_id}/replay`: sends one event again. */
  async replayDelivery(webhookId: string, eventId: string): Promise<DeliveryView> {
    const path = `/v1/admin/webhooks/${encodeURIComponent(webhookId)}/deliveries/${encodeURIComponent(eventId)}/replay`;
    return (await this.#call("POST", path, undefined, DeliveryResponse)).delivery;
  }

  /** `POST …/deliveries/replay`: sends every failed delivery again; answers how many. */
  async replayFailed(webhookId: string): Promise<number> {
    return (await this.#call("POST", `/v1/admin/webhooks/${encodeURIComponent(webhookId)}/deliveries/replay`, undefined, ReplayResponse)).replayed;
  }
}

/** `?a=1&b=2` of the defined values, or "" when there are none. */
function query(values: Record<string, string | number | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) qs.set(k, String(v));
  return qs.size > 0 ? `?${qs}` : "";
}
