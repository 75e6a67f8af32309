import type { MiddlewareHandler } from "hono";
import { ParleyError } from "../src/protocol/index.ts";
import { configOf, type Config, type Rate } from "../src/shared/config.ts";
import { limiter } from "./actors.ts";
import type { AppEnv } from "./types.ts";

/**
 * Per-user budgets of the REST reads that cost the engine the most for the
 * least a client needs: history pages (`GET …/messages`), long-polls
 * (`GET …/poll`) and user search (`GET /v1/users/search`). Each is a token
 * bucket per user, across every conversation, held in the Limiter actor named
 * `<budget>:<user id>` so that it holds across Worker isolates (as the
 * per-IP auth budget does, decision 0008). It runs after the token check and
 * before anything that reads the conversation, so a refusal says nothing of
 * whether a conversation exists or whom it has. Refusals are `429
 * rate_limited` with `Retry-After` and `retry_after_ms`.
 */
export type UserBudget = "history" | "poll" | "search" | "topic";

const RATE: Record<UserBudget, (config: Config) => Rate> = {
  history: (config) => config.historyRate,
  poll: (config) => config.pollRate,
  search: (config) => config.searchRate,
  topic: (config) => config.topicSubscribeRate,
};

const WHAT: Record<UserBudget, string> = {
  history: "history requests",
  poll: "long-polls",
  search: "searches",
  topic: "topic subscriptions and catch-up reads",
};

/** Middleware: takes one token of `budget` for the authenticated caller (after requireAuth). */
export function perUserLimit(budget: UserBudget): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const rate = RATE[budget](configOf(c.env));
    const result = await limiter(c.env, `${budget}:${c.get("principal").userId}`).take(rate);
    if (!result.ok) {
      throw new ParleyError("rate_limited", `At most ${rate.messages} ${WHAT[budget]} per ${rate.per_ms / 1000} s; wait and retry.`, { retryAfterMs: result.retryAfterMs });
    }
    await next();
  };
}
