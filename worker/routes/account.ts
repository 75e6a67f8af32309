import { Hono } from "hono";
import { z } from "zod";
import { OAuthProvider, ParleyError, PasskeyId, RenamePasskeyRequest, type IdentityList, type PasskeyList } from "../../src/protocol/index.ts";
import { unwrap } from "../../src/shared/result.ts";
import { directory, user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { forgetStanding } from "../standing.ts";
import { readJson, readParam } from "../http.ts";
import type { AppEnv } from "../types.ts";

/**
 * The signed-in user's ways to sign in and sessions, mounted at `/v1`
 * (protocol §22.10): passkeys and linked OAuth identities (kept by the
 * Directory, decision 0019; the last one of either kind cannot be removed),
 * and sessions (kept by the user's own actor) with "sign out other devices".
 */
export const accountRoutes = new Hono<AppEnv>();

const SessionId = z.string().regex(/^f_[A-Za-z0-9]{20}$/);

accountRoutes.get("/me/passkeys", requireAuth(), async (c) => {
  const body: PasskeyList = { passkeys: await directory(c.env).passkeysOf(c.get("principal").userId) };
  return c.json(body);
});

accountRoutes.patch("/me/passkeys/:id", requireAuth(), async (c) => {
  const id = readParam(c, "id", PasskeyId, noSuchPasskey);
  const { name } = await readJson(c, RenamePasskeyRequest);
  return c.json({ passkey: unwrap(await directory(c.env).renamePasskey(c.get("principal").userId, id, name)) });
});

accountRoutes.delete("/me/passkeys/:id", requireAuth(), async (c) => {
  const id = readParam(c, "id", PasskeyId, noSuchPasskey);
  unwrap(await directory(c.env).removePasskey(c.get("principal").userId, id));
  return c.body(null, 204);
});

accountRoutes.get("/me/identities", requireAuth(), async (c) => {
  const body: IdentityList = { identities: await directory(c.env).identitiesOf(c.get("principal").userId) };
  return c.json(body);
});

accountRoutes.delete("/me/identities/:provider", requireAuth(), async (c) => {
  const provider = readParam(c, "provider", OAuthProvider, () => new ParleyError("not_found", "No such provider."));
  unwrap(await directory(c.env).removeIdentity(c.get("principal").userId, provider));
  return c.body(null, 204);
});

accountRoutes.get("/me/sessions", requireAuth(), async (c) => {
  const me = c.get("principal");
  return c.json(unwrap(await user(c.env, me.userId).listSessions(me.sessionId)));
});

/** Ends every session of the user but the one of this access token. */
accountRoutes.post("/me/sessions/revoke-others", requireAuth(), async (c) => {
  const me = c.get("principal");
  const answer = unwrap(await user(c.env, me.userId).revokeOtherSessions(me.sessionId));
  forgetStanding(me.userId);
  return c.json(answer);
});

accountRoutes.delete("/me/sessions/:id", requireAuth(), async (c) => {
  const me = c.get("principal");
  const id = readParam(c, "id", SessionId, () => new ParleyError("not_found", "No such session."));
  unwrap(await user(c.env, me.userId).revokeOwnSession(id));
  forgetStanding(me.userId);
  return c.body(null, 204);
});

function noSuchPasskey(): ParleyError {
  return new ParleyError("not_found", "No such passkey.");
}
