import { Hono, type MiddlewareHandler } from "hono";
import { authSecret } from "../../src/auth/secret.ts";
import { isBotId, newBotId } from "../../src/bots/ids.ts";
import { metricsShardNames, mergeSnapshots } from "../../src/admin/metrics.ts";
import {
  AdminReportsQuery, ConversationId, CreateBotRequest, CreateWebhookRequest, DeliveriesQuery, ParleyError, ReportIdParam, ResolveReportRequest,
  SeqParam, SuspendRequest, UpdateBotRequest, UserId, Username,
} from "../../src/protocol/index.ts";
import { reportShardNames } from "../../src/reports/shards.ts";
import type { ReportView } from "../../src/reports/actor.ts";
import { configOf } from "../../src/shared/config.ts";
import { verifyConversationId } from "../../src/shared/ids.ts";
import { unwrap } from "../../src/shared/result.ts";
import { checkHookUrl } from "../../src/webhooks/urls.ts";
import { conversation, directory, user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { readJson, readParam, readQuery } from "../http.ts";
import { workerCounters } from "../metrics.ts";
import { forgetStanding } from "../standing.ts";
import type { AppEnv } from "../types.ts";
import { createLogger } from "../../src/shared/log.ts";

/**
 * `/v1/admin/*`: the operators' routes (docs/protocol.md §22.18). Operators
 * are the users the OPERATORS setting names (by id or username); anyone
 * else — a bot included — is answered as for a route that does not exist
 * (404), so the routes reveal nothing to others.
 */
export const adminRoutes = new Hono<AppEnv>();

const requireOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
  const me = c.get("principal");
  const operators = configOf(c.env).operators;
  if (isBotId(me.userId) || !(operators.has(me.userId) || operators.has(me.username.toLowerCase()))) {
    throw new ParleyError("not_found", `No route for ${c.req.method} ${c.req.path}.`);
  }
  await next();
};

adminRoutes.use("/admin/*", requireAuth(), requireOperator);

const integrations = (env: AppEnv["Bindings"]) => env.INTEGRATIONS.get(env.INTEGRATIONS.idFromName("global"));
const webhook = (env: AppEnv["Bindings"], id: string) => env.WEBHOOK.get(env.WEBHOOK.idFromName(id));
const reportsShard = (env: AppEnv["Bindings"], name: string) => env.REPORTS.get(env.REPORTS.idFromName(name));
const audit = (c: Parameters<MiddlewareHandler<AppEnv>>[0], event: string, fields: Record<string, unknown>) =>
  createLogger(configOf(c.env).logLevel)("info", event, { request_id: c.get("requestId"), operator_id: c.get("principal").userId, ...fields });

const noSuchBot = () => new ParleyError("not_found", "No such bot.");
const noSuchWebhook = () => new ParleyError("not_found", "No such webhook.");
const WebhookParam = (value: string | undefined) => (value && /^wh_[0-9A-Za-z]{20}$/.test(value) ? value : undefined);
const BotParam = (value: string | undefined) => (value && isBotId(value) && UserId.safeParse(value).success ? value : undefined);

// --- bots (§22.14) -----------------------------------------------------------

adminRoutes.post("/admin/bots", async (c) => {
  const input = await readJson(c, CreateBotRequest);
  const username = Username.safeParse(input.username);
  if (!username.success) throw new ParleyError("bad_request", "username: 3–32 of A–Z, a–z, 0–9 and _, not reserved.");
  const webhookUrl = input.webhook_url === undefined ? undefined : checkHookUrl(input.webhook_url, configOf(c.env).webhookAllowLoopback, "webhook_url");
  const botId = newBotId();
  const registered = unwrap(await directory(c.env).register(botId, username.data));
  const secrets = unwrap(await user(c.env, botId).setupBot(botId, registered.username, webhookUrl, {
    ...(input.display_name !== undefined ? { display_name: input.display_name } : {}),
    ...(input.avatar_url !== undefined ? { avatar_url: input.avatar_url } : {}),
  }));
  await integrations(c.env).recordBot(botId, registered.username, c.get("principal").userId);
  const me = unwrap(await user(c.env, botId).profile());
  audit(c, "operator.bot_created", { bot_id: botId });
  return c.json({ bot: { user: me.user, ...(webhookUrl ? { webhook_url: webhookUrl } : {}) }, token: secrets.token, webhook_secret: secrets.webhook_secret }, 201);
});

adminRoutes.get("/admin/bots", async (c) => {
  return c.json({ bots: await integrations(c.env).bots() });
});

adminRoutes.patch("/admin/bots/:user_id", async (c) => {
  const botId = BotParam(c.req.param("user_id"));
  if (!botId) throw noSuchBot();
  const { webhook_url } = await readJson(c, UpdateBotRequest);
  const url = webhook_url === null ? null : checkHookUrl(webhook_url, configOf(c.env).webhookAllowLoopback, "webhook_url");
  const result = unwrap(await user(c.env, botId).setBotWebhook(url));
  audit(c, "operator.bot_updated", { bot_id: botId });
  return c.json({ bot: { user_id: botId, ...result } });
});

adminRoutes.post("/admin/bots/:user_id/token", async (c) => {
  const botId = BotParam(c.req.param("user_id"));
  if (!botId) throw noSuchBot();
  const result = unwrap(await user(c.env, botId).rotateBotToken(false));
  audit(c, "operator.bot_token_rotated", { bot_id: botId });
  return c.json(result, 201);
});

adminRoutes.delete("/admin/bots/:user_id/token", async (c) => {
  const botId = BotParam(c.req.param("user_id"));
  if (!botId) throw noSuchBot();
  unwrap(await user(c.env, botId).rotateBotToken(true));
  audit(c, "operator.bot_token_revoked", { bot_id: botId });
  return c.json({ revoked: true });
});

// --- webhooks (§22.15) -------------------------------------------------------

adminRoutes.post("/admin/webhooks", async (c) => {
  const input = await readJson(c, CreateWebhookRequest);
  const url = checkHookUrl(input.url, configOf(c.env).webhookAllowLoopback);
  const created = unwrap(await integrations(c.env).createWebhook(url, input.events, c.get("principal").userId));
  audit(c, "operator.webhook_created", { webhook_id: created.webhook.id });
  return c.json(created, 201);
});

adminRoutes.get("/admin/webhooks", async (c) => c.json({ webhooks: await integrations(c.env).webhooks() }));

adminRoutes.delete("/admin/webhooks/:id", async (c) => {
  const id = WebhookParam(c.req.param("id"));
  if (!id) throw noSuchWebhook();
  const result = unwrap(await integrations(c.env).deleteWebhook(id));
  audit(c, "operator.webhook_deleted", { webhook_id: id });
  return c.json(result);
});

adminRoutes.get("/admin/webhooks/:id/deliveries", async (c) => {
  const id = WebhookParam(c.req.param("id"));
  if (!id || !(await integrations(c.env).webhookSecret(id))) throw noSuchWebhook();
  const q = readQuery(c, DeliveriesQuery);
  return c.json(await webhook(c.env, id).deliveries(q.status, q.limit ?? 50, q.cursor ? Number(q.cursor) : 0));
});

adminRoutes.post("/admin/webhooks/:id/deliveries/replay", async (c) => {
  const id = WebhookParam(c.req.param("id"));
  if (!id || !(await integrations(c.env).webhookSecret(id))) throw noSuchWebhook();
  const result = await webhook(c.env, id).replayFailed();
  audit(c, "operator.webhook_replayed", { webhook_id: id, replayed: result.replayed });
  return c.json(result);
});

adminRoutes.post("/admin/webhooks/:id/deliveries/:delivery/replay", async (c) => {
  const id = WebhookParam(c.req.param("id"));
  const delivery = c.req.param("delivery");
  if (!id || !(await integrations(c.env).webhookSecret(id))) throw noSuchWebhook();
  if (!/^ev_[0-9A-Za-z]{20}$/.test(delivery)) throw new ParleyError("not_found", "No such delivery.");
  const result = unwrap(await webhook(c.env, id).replay(delivery));
  audit(c, "operator.webhook_replayed", { webhook_id: id, event_id: delivery });
  return c.json({ delivery: result });
});

// --- reports (§22.18) ----------------------------------------------------------

/** Reports of every shard, by time, merged: each shard gives its next `limit`, the first `limit` of them all are the page. */
adminRoutes.get("/admin/reports", async (c) => {
  const q = readQuery(c, AdminReportsQuery);
  const limit = q.limit ?? 50;
  const [at, id] = q.cursor ? [Number(q.cursor.split(":")[0]), q.cursor.split(":")[1]!] : [0, ""];
  const pages = await Promise.all(reportShardNames().map((name) => reportsShard(c.env, name).page(q.status, limit, { created_at: at, id })));
  const all = pages.flat().sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const page = all.slice(0, limit);
  const last = page.at(-1);
  return c.json({ reports: page, ...(all.length > limit && last ? { next_cursor: `${last.created_at}:${last.id}` } : {}) });
});

async function findReport(env: AppEnv["Bindings"], id: string): Promise<{ shard: string; report: ReportView }> {
  const found = await Promise.all(reportShardNames().map(async (shard) => ({ shard, report: await reportsShard(env, shard).get(id) })));
  const hit = found.find((f) => f.report);
  if (!hit?.report) throw new ParleyError("not_found", "No such report.");
  return { shard: hit.shard, report: hit.report };
}

/**
 * A report, and for a message report the messages around it (five before,
 * five after) as they are now: operators read them without being members,
 * and each such read is logged (`operator.report_context`).
 */
adminRoutes.get("/admin/reports/:id", async (c) => {
  const id = readParam(c, "id", ReportIdParam, () => new ParleyError("not_found", "No such report."));
  const { report } = await findReport(c.env, id);
  if (report.kind !== "message" || !report.conversation_id || report.seq === undefined) return c.json({ report });
  const context = await conversation(c.env, report.conversation_id).operatorContext(report.seq, 5);
  audit(c, "operator.report_context", { report_id: id, conversation_id: report.conversation_id, seq: report.seq });
  return c.json({ report, ...(context.ok ? { context: context.value } : {}) });
});

adminRoutes.post("/admin/reports/:id/resolve", async (c) => {
  const id = readParam(c, "id", ReportIdParam, () => new ParleyError("not_found", "No such report."));
  const { note } = await readJson(c, ResolveReportRequest);
  const { shard } = await findReport(c.env, id);
  const report = unwrap(await reportsShard(c.env, shard).resolve(id, c.get("principal").userId, note));
  audit(c, "operator.report_resolved", { report_id: id });
  return c.json({ report });
});

// --- users and messages (§22.18) ---------------------------------------------

const noSuchUser = () => new ParleyError("not_found", "No such user.");

adminRoutes.post("/admin/users/:user_id/suspend", async (c) => {
  const target = readParam(c, "user_id", UserId, noSuchUser);
  const input = await readJson(c, SuspendRequest);
  if (target === c.get("principal").userId) throw new ParleyError("bad_request", "user_id: you cannot suspend yourself.");
  if (!unwrap(await user(c.env, target).profile())) throw noSuchUser();
  const result = unwrap(await user(c.env, target).suspend(c.get("principal").userId, input.reason));
  forgetStanding(target);
  audit(c, "operator.user_suspended", { target_id: target, sockets_closed: result.sockets_closed });
  return c.json(result);
});

adminRoutes.delete("/admin/users/:user_id/suspend", async (c) => {
  const target = readParam(c, "user_id", UserId, noSuchUser);
  unwrap(await user(c.env, target).profile());
  const result = unwrap(await user(c.env, target).unsuspend(c.get("principal").userId));
  forgetStanding(target);
  audit(c, "operator.user_unsuspended", { target_id: target });
  return c.json(result);
});

adminRoutes.get("/admin/users/:user_id", async (c) => {
  const target = readParam(c, "user_id", UserId, noSuchUser);
  const me = unwrap(await user(c.env, target).profile());
  // The Worker's own check also learns which sessions ended; that is not the operator's business.
  const { ended_sessions: _ended, ...standing } = await user(c.env, target).standing();
  return c.json({ user: me.user, standing });
});

adminRoutes.delete("/admin/conversations/:id/messages/:seq", async (c) => {
  const id = readParam(c, "id", ConversationId, () => new ParleyError("not_found", "No such conversation."));
  if (!(await verifyConversationId(authSecret(c.env), id))) throw new ParleyError("not_found", "No such conversation.");
  const seq = readParam(c, "seq", SeqParam, () => new ParleyError("not_found", "No such message."));
  const ack = unwrap(await conversation(c.env, id).operatorDelete(c.get("principal").userId, seq));
  audit(c, "operator.message_deleted", { conversation_id: id, seq });
  return c.json(ack);
});

// --- metrics (decision 0033) ---------------------------------------------------

/** The counters summed over the metrics shards, plus this isolate's Worker counters (REST errors, REST send latency). */
adminRoutes.get("/admin/metrics", async (c) => {
  const shards = await Promise.all(metricsShardNames().map((name) => c.env.METRICS.get(c.env.METRICS.idFromName(name)).read()));
  const merged = mergeSnapshots([...shards, workerCounters.peek()]);
  return c.json({ ...merged, analytics_engine: c.env.ANALYTICS !== undefined, at: Date.now() });
});
