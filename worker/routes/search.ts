import { Hono } from "hono";
import { MessageSearchQuery } from "../../src/protocol/index.ts";
import { unwrap } from "../../src/shared/result.ts";
import { user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { readQuery } from "../http.ts";
import type { AppEnv } from "../types.ts";
import { perUserLimit } from "../user-limits.ts";

/** `GET /v1/search?q=&limit=` (since v1.1): messages across the caller's conversations, best first. */
export const searchRoutes = new Hono<AppEnv>();

searchRoutes.get("/search", requireAuth(), perUserLimit("search"), async (c) => {
  const { q, limit } = readQuery(c, MessageSearchQuery);
  return c.json(unwrap(await user(c.env, c.get("principal").userId).search(q, limit ?? 20)));
});
