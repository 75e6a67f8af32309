import { Hono, type Context } from "hono";
import { OAUTH_COOKIE, clearOauthCookie, oauthCookie, readCookie, REFRESH_COOKIE } from "../../src/auth/cookies.ts";
import { ProviderError, authorizeUrl, identify } from "../../src/auth/oauth.ts";
import { codeChallenge, newCodeVerifier } from "../../src/auth/pkce.ts";
import { DEFAULT_RETURN_TO, safeReturnTo } from "../../src/auth/return-to.ts";
import { authSecret } from "../../src/auth/secret.ts";
import { hashToken, verifyRefreshToken } from "../../src/auth/sessions.ts";
import { equal, newCeremonyId, signTicket, verifyCeremonyId, verifyTicket } from "../../src/auth/signed.ts";
import {
  OAuthCompleteRequest,
  OAuthErrorCode,
  OAuthProvider,
  OAuthStartQuery,
  ParleyError,
} from "../../src/protocol/index.ts";
import { configOf, type OAuthProviderConfig } from "../../src/shared/config.ts";
import { randomId } from "../../src/shared/ids.ts";
import { createLogger, type LogFields } from "../../src/shared/log.ts";
import { unwrap } from "../../src/shared/result.ts";
import { ceremonies, directory, user } from "../actors.ts";
import { readJson, readQuery } from "../http.ts";
import { openSession } from "../session.ts";
import type { AppEnv } from "../types.ts";

/**
 * `/v1/auth/oauth/*`: sign-in with GitHub and Google, authorization code
 * flow with PKCE (S256), a single-use `state` bound to the browser by a
 * cookie (src/auth/oauth.ts, decision 0019).
 *
 * 1. `GET …/{provider}/start` opens a ceremony (the state: a signed
 *    ceremony id) holding the PKCE verifier, the nonce, the hash of a
 *    random value set as the `parley_oauth` cookie, where to return, and —
 *    when linking — the signed-in user; then redirects to the provider.
 * 2. `GET …/{provider}/callback` takes the ceremony once, checks the cookie
 *    against it, exchanges the code and learns who signed in. A known
 *    identity gets a cookie session; a new one a choose-username ticket;
 *    when linking, the identity joins the user. Every failure redirects to
 *    `/#/sign-in?error=<code>` (a closed set, OAuthErrorCode).
 * 3. `POST …/complete {ticket, username}` registers a new user.
 */
export const oauthRoutes = new Hono<AppEnv>();

/** How long a flow may take at the provider; the ticket of a new identity lives as long. */
export const OAUTH_FLOW_TTL_MS = 10 * 60_000;
export const TICKET_TTL_MS = 10 * 60_000;

interface OAuthCeremony extends Record<string, unknown> {
  provider: OAuthProvider;
  verifier: string;
  nonce: string;
  binding_hash: string;
  redirect_uri: string;
  return_to: string;
  link_user_id?: string;
}

oauthRoutes.get("/:provider/start", async (c) => {
  const [provider, config] = providerOf(c);
  const query = readQuery(c, OAuthStartQuery);
  const returnTo = query.return_to === undefined ? DEFAULT_RETURN_TO : safeReturnTo(query.return_to);
  if (returnTo === undefined) throw new ParleyError("bad_request", "return_to: must be a path of this site, starting with a single /.");
  let linkUserId: string | undefined;
  if (query.link === "1") {
    linkUserId = await cookieUser(c);
    if (!linkUserId) return fail(c, "session_required", { provider });
  }
  const secret = authSecret(c.env);
  const state = await newCeremonyId(secret);
  const shard = (await verifyCeremonyId(secret, state))!;
  const binding = randomId("", 43);
  const verifier = newCodeVerifier();
  const nonce = randomId("", 32);
  const redirectUri = `${new URL(c.req.url).origin}/v1/auth/oauth/${provider}/callback`;
  const ceremony: OAuthCeremony = {
    provider, verifier, nonce, binding_hash: await hashToken(binding), redirect_uri: redirectUri, return_to: returnTo,
    ...(linkUserId ? { link_user_id: linkUserId } : {}),
  };
  unwrap(await ceremonies(c.env, shard).open(state, "oauth", ceremony, OAUTH_FLOW_TTL_MS));
  c.header("Set-Cookie", oauthCookie(binding, OAUTH_FLOW_TTL_MS), { append: true });
  return c.redirect(authorizeUrl(provider, config, { redirectUri, state, codeChallenge: await codeChallenge(verifier), nonce }), 302);
});

oauthRoutes.get("/:provider/callback", async (c) => {
  const [provider, config] = providerOf(c);
  c.header("Set-Cookie", clearOauthCookie(), { append: true });
  const { state, code, error } = c.req.query();
  const secret = authSecret(c.env);
  // Checked before any actor: a signed state, and the browser's binding cookie.
  const shard = await verifyCeremonyId(secret, state);
  const binding = readCookie(c.req.header("cookie"), OAUTH_COOKIE);
  if (shard === undefined || binding === undefined) return fail(c, "invalid_state", { provider, why: shard === undefined ? "state" : "cookie" });
  const taken = await ceremonies(c.env, shard).take(state!, "oauth");
  if (!taken.ok) return fail(c, "invalid_state", { provider, why: "ceremony" });
  const flow = unwrap(taken) as OAuthCeremony;
  if (flow.provider !== provider || !equal(await hashToken(binding), flow.binding_hash)) {
    return fail(c, "invalid_state", { provider, why: "binding" });
  }
  if (error !== undefined || !code || code.length > 2048) return fail(c, "access_denied", { provider, why: (error ?? "no code").slice(0, 64) });
  let identity;
  try {
    identity = await identify(provider, config, { code, redirectUri: flow.redirect_uri, codeVerifier: flow.verifier, nonce: flow.nonce });
  } catch (e) {
    if (e instanceof ProviderError) return fail(c, "provider_failed", { provider, why: e.message.slice(0, 200) });
    throw e;
  }
  if (flow.link_user_id) {
    const linked = await directory(c.env).linkIdentity(flow.link_user_id, provider, identity.subject, identity.label);
    if (!linked.ok) return fail(c, linked.error.code === "conflict" ? "identity_linked" : "internal", { provider, why: linked.error.message });
    log(c, "info", "oauth.linked", { provider, user_id: flow.link_user_id });
    return c.redirect(flow.return_to, 302);
  }
  const owner = await directory(c.env).identityOwner(provider, identity.subject, identity.label);
  if (owner) {
    await openSession(c, owner, provider, true);
    log(c, "info", "oauth.signed_in", { provider, user_id: owner.id });
    return c.redirect(flow.return_to, 302);
  }
  const ticket = await signTicket(secret, {
    provider, subject: identity.subject, label: identity.label, suggested: identity.suggested, exp: Date.now() + TICKET_TTL_MS,
  });
  const params = new URLSearchParams({ ticket });
  if (identity.suggested) params.set("suggested", identity.suggested);
  if (flow.return_to !== DEFAULT_RETURN_TO) params.set("return_to", flow.return_to);
  log(c, "info", "oauth.new_identity", { provider });
  return c.redirect(`/#/choose-username?${params.toString()}`, 302);
});

/**
 * The choose-username step of a new identity: registers the user with the
 * identity linked, and opens a session. A taken username is `409`, and the
 * ticket stays good (until it expires) for another try; an identity linked
 * in the meantime is `409` too.
 */
oauthRoutes.post("/complete", async (c) => {
  const { ticket, username } = await readJson(c, OAuthCompleteRequest);
  const claims = await verifyTicket(authSecret(c.env), ticket);
  const provider = OAuthProvider.safeParse(claims?.provider);
  if (!claims || !provider.success) throw new ParleyError("unauthorized", "This ticket is invalid or expired; sign in with the provider again.");
  const { user: registered } = unwrap(await directory(c.env).registerWithIdentity(randomId("u_", 20), username, provider.data, claims.subject, claims.label));
  log(c, "info", "oauth.registered", { provider: provider.data, user_id: registered.id });
  return c.json(await openSession(c, registered, provider.data), 201);
});

/** The provider of the path and its settings; `404` for an unknown or unconfigured one. */
function providerOf(c: Context<AppEnv>): [OAuthProvider, OAuthProviderConfig] {
  const parsed = OAuthProvider.safeParse(c.req.param("provider"));
  const config = parsed.success ? configOf(c.env).signIn[parsed.data] : undefined;
  if (!parsed.success || !config) throw new ParleyError("not_found", "No such sign-in provider on this deployment.");
  return [parsed.data, config];
}

/** The user of the session cookie, if it is the current token of a live session. */
async function cookieUser(c: Context<AppEnv>): Promise<string | undefined> {
  const token = readCookie(c.req.header("cookie"), REFRESH_COOKIE);
  const parts = token === undefined ? undefined : await verifyRefreshToken(authSecret(c.env), token);
  if (!parts) return undefined;
  const session = await user(c.env, parts.userId).sessionOf(token!);
  return session.ok ? session.value.user.id : undefined;
}

/** The end of a flow that signed no one in: back to the app's sign-in page, with a code from a closed set. */
function fail(c: Context<AppEnv>, code: OAuthErrorCode, fields: LogFields): Response {
  log(c, "warn", "oauth.refused", { code: OAuthErrorCode.parse(code), ...fields });
  return c.redirect(`/#/sign-in?${new URLSearchParams({ error: code, ...(fields.provider ? { provider: String(fields.provider) } : {}) }).toString()}`, 302);
}

function log(c: Context<AppEnv>, level: "info" | "warn", event: string, fields: LogFields): void {
  createLogger(configOf(c.env).logLevel)(level, event, { request_id: c.get("requestId"), ...fields });
}
