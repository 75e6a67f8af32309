import { Hono } from "hono";
import {
  DEFAULT_SEARCH_LIMIT,
  NotificationsQuery,
  ParleyError,
  ReadNotificationsRequest,
  PatchMeRequest,
  SearchQuery,
  Username,
  type MeResponse,
  type SearchResponse,
} from "../../src/protocol/index.ts";
import { unwrap } from "../../src/shared/result.ts";
import { directory, user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { readJson, readParam, readQuery } from "../http.ts";
import type { AppEnv } from "../types.ts";
import { forwardUpgrade, upgradeChecks } from "../upgrade.ts";
import { perUserLimit } from "../user-limits.ts";

/**
 * People and the inbox, mounted at `/v1`: `GET /users/search`,
 * `GET /users/{username}`, `GET /me`, `PATCH /me`, and the inbox socket
 * `GET /inbox/ws`. Profiles, settings and the inbox live in each user's User
 * actor; the Directory actor answers lookups and search.
 */
export const userRoutes = new Hono<AppEnv>();

// Registered before /users/:username, so "search" is the search (a user
// named "search" is found through it, not by name).
userRoutes.get("/users/search", requireAuth(), perUserLimit("search"), async (c) => {
  const { q, limit, cursor } = readQuery(c, SearchQuery);
  const page: SearchResponse = unwrap(await directory(c.env).search(q, limit ?? DEFAULT_SEARCH_LIMIT, cursor));
  return c.json(page);
});

userRoutes.get("/users/:username", requireAuth(), async (c) => {
  const username = readParam(c, "username", Username, () => new ParleyError("not_found", "No such user."));
  return c.json({ user: unwrap(await directory(c.env).view(username)) });
});

/**
 * The caller's profile and settings. A user whose token was minted by
 * another backend (docs/auth.md) and who is not known yet is registered
 * here, just in time, under the token's `sub` and `name`.
 */
userRoutes.get("/me", requireAuth(), async (c) => {
  const me = c.get("principal");
  const body: MeResponse = unwrap(await user(c.env, me.userId).me(me.userId, me.username));
  return c.json(body);
});

userRoutes.patch("/me", requireAuth(), async (c) => {
  const me = c.get("principal");
  const patch = await readJson(c, PatchMeRequest);
  const body: MeResponse = unwrap(await user(c.env, me.userId).updateMe(me.userId, me.username, patch));
  return c.json(body);
});

/** The kept notifications (at most 500), newest first; `unread_only=true` narrows to unread ones. */
userRoutes.get("/notifications", requireAuth(), async (c) => {
  const { limit, unread_only } = readQuery(c, NotificationsQuery);
  return c.json(unwrap(await user(c.env, c.get("principal").userId).listNotifications(limit ?? 50, unread_only === "true")));
});

/** Marks notifications read; the user's inbox sockets get `notifications.read`. */
userRoutes.post("/notifications/read", requireAuth(), async (c) => {
  const { ids } = await readJson(c, ReadNotificationsRequest);
  return c.json(unwrap(await user(c.env, c.get("principal").userId).readNotifications(ids)));
});

userRoutes.get("/inbox/ws", ...upgradeChecks, async (c) => forwardUpgrade(c, user(c.env, c.get("principal").userId)));
