import { Hono } from "hono";
import { FORWARDED } from "../../src/conversation/actor.ts";
import {
  DEFAULT_SEARCH_LIMIT,
  ParleyError,
  PatchMeRequest,
  SearchQuery,
  Username,
  type MeResponse,
  type SearchResponse,
} from "../../src/protocol/index.ts";
import { unwrap } from "../../src/shared/result.ts";
import { directory, user } from "../actors.ts";
import { originAllowed, requireAuth } from "../auth.ts";
import { readJson, readParam, readQuery } from "../http.ts";
import type { AppEnv } from "../types.ts";

/**
 * People and the inbox, mounted at `/v1`: `GET /users/search`,
 * `GET /users/{username}`, `GET /me`, `PATCH /me`, and the inbox socket
 * `GET /inbox/ws`. Profiles, settings and the inbox live in each user's User
 * actor; the Directory actor answers lookups and search.
 */
export const userRoutes = new Hono<AppEnv>();

// Registered before /users/:username, so "search" is the search (a user
// named "search" is found through it, not by name).
userRoutes.get("/users/search", requireAuth(), async (c) => {
  const { q, limit, cursor } = readQuery(c, SearchQuery);
  const page: SearchResponse = unwrap(await directory(c.env).search(q, limit ?? DEFAULT_SEARCH_LIMIT, cursor));
  return c.json(page);
});

userRoutes.get("/users/:username", requireAuth(), async (c) => {
  const username = readParam(c, "username", Username, new ParleyError("not_found", "No such user."));
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

userRoutes.get("/inbox/ws", async (c, next) => {
  // Checked before the token so a plain GET learns it needs an upgrade.
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    return c.json(new ParleyError("bad_request", "This endpoint needs a WebSocket upgrade (Upgrade: websocket).").toBody(), 426);
  }
  await next();
}, requireAuth({ allowQueryToken: true }), async (c) => {
  if (!originAllowed(c)) throw new ParleyError("forbidden", "This Origin may not open Parley sockets (ALLOWED_ORIGINS).");
  const me = c.get("principal");
  // A fresh set of headers: nothing the client sent under x-parley-* survives.
  const headers = new Headers();
  for (const [name, value] of c.req.raw.headers) {
    if (!name.toLowerCase().startsWith("x-parley-")) headers.set(name, value);
  }
  headers.set(FORWARDED.userId, me.userId);
  headers.set(FORWARDED.username, me.username);
  headers.set(FORWARDED.tokenExp, String(me.expiresAt));
  headers.set(FORWARDED.requestId, c.get("requestId"));
  return user(c.env, me.userId).fetch(new Request(c.req.url, { method: "GET", headers }));
});
