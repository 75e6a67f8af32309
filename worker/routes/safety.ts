import { Hono, type MiddlewareHandler } from "hono";
import { REFRESH_COOKIE, readCookie } from "../../src/auth/cookies.ts";
import { refreshKey, signInKey } from "../../src/auth/rate-keys.ts";
import { authSecret } from "../../src/auth/secret.ts";
import { verifyRefreshToken } from "../../src/auth/sessions.ts";
import { ParleyError, RefreshRequest, ReportRequest, Username } from "../../src/protocol/index.ts";
import { configOf } from "../../src/shared/config.ts";
import { directConversationId, verifyConversationId } from "../../src/shared/ids.ts";
import { unwrap } from "../../src/shared/result.ts";
import { conversation, directory, limiter, reports, user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { readJson, readParam } from "../http.ts";
import type { AppEnv } from "../types.ts";

/**
 * The budgets of the auth endpoints, held in Limiter actors (one per key) so
 * they hold across every Worker isolate. Refusals are 429 rate_limited with
 * Retry-After.
 *
 * - Logout is never refused: a refused logout would leave the session alive.
 * - A refresh whose token this deployment signed draws from its session's
 *   budget (REFRESH_RATE_LIMIT), so sign-ins behind one address never starve
 *   the refreshes of the people behind it. Any other refresh (garbage, a
 *   forgery) draws from the address's budget: only a verified token names a
 *   bucket of its own.
 * - Everything else (sign-ins) draws from the client address's budget
 *   (AUTH_RATE_LIMIT), IPv6 addresses by their /64 (src/auth/rate-keys.ts).
 *   The address is `CF-Connecting-IP`, which only Cloudflare's edge sets
 *   honestly (docs/auth.md §5).
 *
 * First of all, the deployment secret is checked: a misconfigured deployment
 * answers 500 before any state (a bucket, a user, a session) is touched.
 */
export const authRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const secret = authSecret(c.env);
  // The list of sign-in methods reads settings only: it costs no budget.
  if (c.req.path === "/v1/auth/logout" || (c.req.path === "/v1/auth/methods" && c.req.method === "GET")) return next();
  const config = configOf(c.env);
  const family = c.req.path === "/v1/auth/refresh"
    ? await refreshFamily(() => c.req.text(), secret, readCookie(c.req.header("cookie"), REFRESH_COOKIE))
    : undefined;
  const [key, rate, message] = family
    ? [refreshKey(family), config.refreshRate, "Too many refreshes of this session; wait and retry (refresh single-flight)."]
    : [signInKey(c.req.header("cf-connecting-ip")), config.authRate, "Too many sign-in requests from this address; wait and retry."];
  const result = await limiter(c.env, key).take(rate);
  if (!result.ok) throw new ParleyError("rate_limited", message, { retryAfterMs: result.retryAfterMs });
  await next();
};

/**
 * The session family of a refresh request whose token verifies, else
 * undefined (the route then answers the malformed body or the bad token).
 * Hono caches the body, so the route reads it again for free.
 */
async function refreshFamily(body: () => Promise<string>, secret: string, cookie: string | undefined): Promise<string | undefined> {
  const text = await body();
  // A web client in cookie mode sends no body: the session cookie names the session (protocol §22.10).
  if (text.trim() === "" && cookie !== undefined) return (await verifyRefreshToken(secret, cookie))?.familyId;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const request = RefreshRequest.safeParse(parsed);
  if (!request.success) return undefined;
  return (await verifyRefreshToken(secret, request.data.refresh_token))?.familyId;
}

/** `/v1/blocks/*` and `/v1/reports`. */
export const safetyRoutes = new Hono<AppEnv>();

const noSuchUser = () => new ParleyError("not_found", "No such user.");

/**
 * A block is recorded in three places, each of which enforces it where it
 * decides (decisions 0007 and 0013): the direct conversation of the pair
 * (whose id is derived from the two user ids), which refuses the blocked
 * user everything in it, even before it was first created; and both users'
 * User actors, which refuse group adds between them, drop notifications one
 * causes the other, and pass no presence between them. The answer comes once
 * all three hold it (the User actors answer only once no group add admitted
 * before the block can still land), so a retry after a failure completes it.
 * After an unblock, each User actor tells the other its current status.
 */
async function setBlock(c: Parameters<MiddlewareHandler<AppEnv>>[0], on: boolean): Promise<Response> {
  const me = c.get("principal");
  const username = readParam(c, "username", Username, noSuchUser);
  const target = await directory(c.env).lookup(username);
  if (!target) throw noSuchUser();
  if (target.id === me.userId) throw new ParleyError("bad_request", "username: you cannot block yourself.");
  const id = await directConversationId(authSecret(c.env), me.userId, target.id);
  const [result, mine, theirs] = await Promise.all([
    conversation(c.env, id).setBlock(me.userId, target.id, on),
    user(c.env, me.userId).setBlock(target.id, "out", on),
    user(c.env, target.id).setBlock(me.userId, "in", on),
  ]);
  unwrap(mine);
  unwrap(theirs);
  if (!on) await Promise.all([user(c.env, me.userId).announcePresenceTo(target.id), user(c.env, target.id).announcePresenceTo(me.userId)]);
  return c.json({ username: target.username, blocked: unwrap(result).blocked });
}

safetyRoutes.post("/blocks/:username", requireAuth(), (c) => setBlock(c, true));
safetyRoutes.delete("/blocks/:username", requireAuth(), (c) => setBlock(c, false));

/**
 * Files a report in the reporter's shard (decision 0016). The reporter's
 * budget (REPORT_RATE_LIMIT, a Limiter actor per reporter) is taken before
 * any lookup, so a flood costs one Limiter call per request; the shard then
 * refuses a second open report about the same target with `conflict`.
 */
safetyRoutes.post("/reports", requireAuth(), async (c) => {
  const me = c.get("principal");
  const input = await readJson(c, ReportRequest);
  const budget = await limiter(c.env, `report:${me.userId}`).take(configOf(c.env).reportRate);
  if (!budget.ok) throw new ParleyError("rate_limited", "Too many reports; wait and retry.", { retryAfterMs: budget.retryAfterMs });
  if (input.kind === "user") {
    const target = await directory(c.env).lookup(input.username);
    if (!target) throw noSuchUser();
    const filed = unwrap(await reports(c.env, me.userId).file({ reporter_id: me.userId, kind: "user", target_user_id: target.id, reason: input.reason, details: input.details }));
    return c.json({ report: filed }, 201);
  }
  // Only an id this deployment minted reaches a conversation actor (decision 0015).
  if (!(await verifyConversationId(authSecret(c.env), input.conversation_id))) throw new ParleyError("not_found", "No such conversation.");
  const message = unwrap(await conversation(c.env, input.conversation_id).messageForReport(me.userId, input.seq));
  const filed = unwrap(await reports(c.env, me.userId).file({
    reporter_id: me.userId,
    kind: "message",
    target_user_id: message.sender_id,
    conversation_id: input.conversation_id,
    seq: input.seq,
    message,
    reason: input.reason,
    details: input.details,
  }));
  return c.json({ report: filed }, 201);
});
