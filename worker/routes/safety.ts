import { Hono, type MiddlewareHandler } from "hono";
import { ParleyError, ReportRequest, Username } from "../../src/protocol/index.ts";
import { configOf } from "../../src/shared/config.ts";
import { directConversationId } from "../../src/shared/ids.ts";
import { unwrap } from "../../src/shared/result.ts";
import { conversation, directory, limiter, reports, user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { readJson, readParam } from "../http.ts";
import type { AppEnv } from "../types.ts";

/**
 * Per-IP limit on the auth endpoints (login, refresh, logout), held in a
 * Limiter actor per IP so it holds across every Worker isolate. Refusals are
 * 429 rate_limited with Retry-After.
 */
export const authRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const ip = c.req.header("cf-connecting-ip") ?? "unknown";
  const result = await limiter(c.env, `auth:${ip}`).take(configOf(c.env).authRate);
  if (!result.ok) {
    throw new ParleyError("rate_limited", "Too many sign-in requests from this address; wait and retry.", { retryAfterMs: result.retryAfterMs });
  }
  await next();
};

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
  const id = await directConversationId(me.userId, target.id);
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

safetyRoutes.post("/reports", requireAuth(), async (c) => {
  const me = c.get("principal");
  const input = await readJson(c, ReportRequest);
  if (input.kind === "user") {
    const target = await directory(c.env).lookup(input.username);
    if (!target) throw noSuchUser();
    const filed = await reports(c.env).file({ reporter_id: me.userId, kind: "user", target_user_id: target.id, reason: input.reason, details: input.details });
    return c.json({ report: filed }, 201);
  }
  const message = unwrap(await conversation(c.env, input.conversation_id).messageForReport(me.userId, input.seq));
  const filed = await reports(c.env).file({
    reporter_id: me.userId,
    kind: "message",
    target_user_id: message.sender_id,
    conversation_id: input.conversation_id,
    seq: input.seq,
    message,
    reason: input.reason,
    details: input.details,
  });
  return c.json({ report: filed }, 201);
});
