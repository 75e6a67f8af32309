import { Hono, type Context } from "hono";
import { addressBucket } from "../../src/auth/rate-keys.ts";
import { authSecret } from "../../src/auth/secret.ts";
import { inviteHash, newInviteCode, splitInviteCode } from "../../src/invites/store.ts";
import { ConversationId, CreateInviteRequest, InviteCode, ParleyError, PushSubscriptionRequest, PushUnsubscribeQuery } from "../../src/protocol/index.ts";
import { b64urlDecode, vapidKeysOf } from "../../src/push/webpush.ts";
import { configOf } from "../../src/shared/config.ts";
import { verifyConversationId } from "../../src/shared/ids.ts";
import { unwrap } from "../../src/shared/result.ts";
import { checkPushEndpoint } from "../../src/webhooks/urls.ts";
import { noSuchConversation } from "../../src/conversation/rules.ts";
import { conversation, limiter, user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { readJson, readParam, readQuery } from "../http.ts";
import type { AppEnv } from "../types.ts";

/** Web push subscriptions (§22.16) and invite links (§22.17). */
export const integrationRoutes = new Hono<AppEnv>();

// --- web push -----------------------------------------------------------------

/** The VAPID public key a browser subscribes with (`applicationServerKey`); 404 when push is not configured. */
integrationRoutes.get("/push/vapid-key", requireAuth(), (c) => {
  const keys = vapidKeysOf(c.env);
  if (!keys) throw new ParleyError("not_found", "Web push is not configured on this deployment.");
  return c.json({ public_key: keys.publicKey });
});

integrationRoutes.post("/me/push-subscriptions", requireAuth(), async (c) => {
  const input = await readJson(c, PushSubscriptionRequest);
  const endpoint = checkPushEndpoint(input.endpoint, configOf(c.env).pushEndpoints);
  // The key must be a point of P-256, or every push to it would fail later.
  try {
    await crypto.subtle.importKey("raw", b64urlDecode(input.keys.p256dh), { name: "ECDH", namedCurve: "P-256" }, false, []);
  } catch {
    throw new ParleyError("bad_request", "keys.p256dh: not a P-256 public key.");
  }
  const result = unwrap(await user(c.env, c.get("principal").userId).subscribePush(endpoint, input.keys.p256dh, input.keys.auth));
  return c.json(result, 201);
});

integrationRoutes.delete("/me/push-subscriptions", requireAuth(), async (c) => {
  const { endpoint } = readQuery(c, PushUnsubscribeQuery);
  return c.json(unwrap(await user(c.env, c.get("principal").userId).unsubscribePush(endpoint)));
});

// --- invite links -------------------------------------------------------------

async function groupIdOf(c: Context<AppEnv>): Promise<string> {
  const id = readParam(c, "id", ConversationId, noSuchConversation);
  if (!(await verifyConversationId(authSecret(c.env), id))) throw noSuchConversation();
  return id;
}

/** `{code, url, invite}`: the code is shown here only; lists show the invite's id. */
integrationRoutes.post("/conversations/:id/invites", requireAuth(), async (c) => {
  const id = await groupIdOf(c);
  const input = await readJson(c, CreateInviteRequest);
  const { code, secret } = newInviteCode(id);
  const invite = unwrap(await conversation(c.env, id).createInvite(c.get("principal").userId, await inviteHash(secret), input.expires_in, input.max_uses));
  const url = `${new URL(c.req.url).origin}/#/invite/${encodeURIComponent(code)}`;
  return c.json({ code, url, invite }, 201);
});

integrationRoutes.get("/conversations/:id/invites", requireAuth(), async (c) => {
  const id = await groupIdOf(c);
  return c.json(unwrap(await conversation(c.env, id).listInvites(c.get("principal").userId)));
});

/** Revokes by the invite's id (from the list) or by its code. */
integrationRoutes.delete("/conversations/:id/invites/:invite", requireAuth(), async (c) => {
  const id = await groupIdOf(c);
  const given = c.req.param("invite");
  let key: string;
  if (/^[0-9a-f]{16}$/.test(given)) key = given;
  else if (InviteCode.safeParse(given).success && splitInviteCode(given).conversationId === id) key = await inviteHash(splitInviteCode(given).secret);
  else throw new ParleyError("not_found", "No such invite.");
  return c.json({ invite: unwrap(await conversation(c.env, id).revokeInvite(c.get("principal").userId, key)) });
});

/**
 * Every preview and join spends the user's and the address's INVITE_RATE
 * budget before the code is looked at, so guessing codes costs as much as
 * using them; a code that is malformed, forged, unknown, revoked, expired
 * or used up is one answer (404).
 */
async function inviteOf(c: Context<AppEnv>): Promise<{ conversationId: string; hash: string }> {
  const rate = configOf(c.env).inviteRate;
  const [mine, address] = await Promise.all([
    limiter(c.env, `invite:${c.get("principal").userId}`).take(rate),
    limiter(c.env, `invite-ip:${addressBucket(c.req.header("cf-connecting-ip"))}`).take(rate),
  ]);
  const refused = !mine.ok ? mine : !address.ok ? address : undefined;
  if (refused) throw new ParleyError("rate_limited", "Too many invite links tried; wait and retry.", { retryAfterMs: refused.retryAfterMs });
  const invalid = () => new ParleyError("not_found", "This invite link is invalid or has expired.");
  const code = readParam(c, "code", InviteCode, invalid);
  const { conversationId, secret } = splitInviteCode(code);
  if (!(await verifyConversationId(authSecret(c.env), conversationId))) throw invalid();
  return { conversationId, hash: await inviteHash(secret) };
}

integrationRoutes.get("/invites/:code", requireAuth(), async (c) => {
  const { conversationId, hash } = await inviteOf(c);
  return c.json({ invite: unwrap(await conversation(c.env, conversationId).previewInvite(hash)) });
});

integrationRoutes.post("/invites/:code/join", requireAuth(), async (c) => {
  const { conversationId, hash } = await inviteOf(c);
  const me = c.get("principal");
  const result = unwrap(await conversation(c.env, conversationId).joinByInvite(me.userId, me.username, hash));
  return c.json({ conversation: result.conversation, joined: result.joined });
});
