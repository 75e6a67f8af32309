import { Hono } from "hono";
import {
  DEFAULT_SEARCH_LIMIT,
  NotificationsQuery,
  ParleyError,
  ReadNotificationsRequest,
  PatchMeRequest,
  SearchQuery,
  SetPresenceRequest,
  Username,
  type MeResponse,
  type SearchResponse,
  type UserView,
} from "../../src/protocol/index.ts";
import { withTimeout } from "../../src/shared/async.ts";
import type { Env } from "../../src/env.ts";
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
  return c.json({ ...page, users: await withPresence(c.env, c.get("principal").userId, page.users) });
});

userRoutes.get("/users/:username", requireAuth(), async (c) => {
  const username = readParam(c, "username", Username, () => new ParleyError("not_found", "No such user."));
  const [view] = await withPresence(c.env, c.get("principal").userId, [unwrap(await directory(c.env).view(username))]);
  return c.json({ user: view });
});

/** How long the presence of the people of a view may take before they are shown without it. */
const PRESENCE_LOOKUP_MS = 1000;

/**
 * Adds to each UserView the presence `viewerId` may see (since v1.1,
 * docs/protocol.md §22.12): each user's own actor decides — only their
 * contacts, and only when they share it. Asked in parallel; one that does
 * not answer in time is shown without presence.
 */
async function withPresence(env: Env, viewerId: string, views: UserView[]): Promise<UserView[]> {
  return Promise.all(views.map(async (view) => {
    try {
      return { ...view, ...(await withTimeout(Promise.resolve(user(env, view.id).presenceFor(viewerId)), PRESENCE_LOOKUP_MS)) };
    } catch {
      return view;
    }
  }));
}

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

/**
 * Chooses a status as the inbox socket's `presence.set` does (since v1.1):
 * every inbox socket of the user hears it, contacts hear it coalesced, and
 * it spends the same budget. `409` when the user has no inbox socket open.
 */
userRoutes.put("/me/presence", requireAuth(), async (c) => {
  const { status } = await readJson(c, SetPresenceRequest);
  return c.json(unwrap(await user(c.env, c.get("principal").userId).setPresence(status)));
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
