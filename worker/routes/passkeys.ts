import { Hono, type Context } from "hono";
import type { z } from "zod";
import { authSecret } from "../../src/auth/secret.ts";
import { newCeremonyId, verifyCeremonyId } from "../../src/auth/signed.ts";
import { verifyAccessToken, type Principal } from "../../src/auth/tokens.ts";
import {
  CEREMONY_TTL_MS,
  authenticationOptions,
  registrationOptions,
  relyingParty,
  userIdOfHandle,
  verifyAuthentication,
  verifyRegistration,
  type RelyingParty,
} from "../../src/auth/webauthn.ts";
import {
  ParleyError,
  PasskeyLoginOptionsRequest,
  PasskeyLoginVerifyRequest,
  PasskeyRegisterOptionsRequest,
  PasskeyRegisterVerifyRequest,
  type CeremonyOptions,
} from "../../src/protocol/index.ts";
import type { CeremonyKind } from "../../src/ceremonies/actor.ts";
import { configOf } from "../../src/shared/config.ts";
import { randomId } from "../../src/shared/ids.ts";
import { createLogger } from "../../src/shared/log.ts";
import { unwrap } from "../../src/shared/result.ts";
import { ceremonies, directory } from "../actors.ts";
import { bearerToken } from "../auth.ts";
import { readJson } from "../http.ts";
import { openSession } from "../session.ts";
import type { AppEnv } from "../types.ts";

/**
 * `/v1/auth/passkeys/*`: WebAuthn ceremonies (src/auth/webauthn.ts,
 * decision 0018). Each is two calls: `…/options` opens a ceremony in a
 * Ceremonies actor (its challenge, RP ID and origins, and who it is for)
 * and answers its signed id with the options for the browser; `…/verify`
 * takes the ceremony — once — and checks the browser's answer against it.
 *
 * Nothing here wakes a User actor before a passkey has been verified: a
 * ceremony id is checked by its MAC before any actor, a credential is
 * looked up in the Directory, and only a verified sign-in opens a session.
 */
export const passkeyRoutes = new Hono<AppEnv>();

/** What a passkey ceremony keeps until its verify step. */
interface PasskeyCeremony extends Record<string, unknown> {
  challenge: string;
  rp_id: string;
  origins: string[];
  /** Registration: the user the passkey is for (a new id for a new account). Sign-in by username: the only user allowed. */
  user_id?: string;
  username?: string;
  /** Registration: adding a passkey to a signed-in user (else a new account). */
  add?: boolean;
}

passkeyRoutes.post("/register/options", async (c) => {
  const rp = requireRp(c);
  const body = await optionalJson(c, PasskeyRegisterOptionsRequest);
  const me = await optionalPrincipal(c);
  let who: { id: string; username: string };
  let exclude: Array<{ credential_id: string; transports: string[] }> = [];
  if (me) {
    if (body.username !== undefined) throw new ParleyError("bad_request", "username: leave it out to add a passkey to yourself, or send no token to register a new account.");
    who = { id: me.userId, username: me.username };
    exclude = await directory(c.env).passkeysOf(me.userId);
  } else {
    if (body.username === undefined) throw new ParleyError("bad_request", "username: required to register a new account (or send Authorization: Bearer to add a passkey to yourself).");
    if (await directory(c.env).lookup(body.username)) throw new ParleyError("conflict", `The username ${body.username} is taken; choose another.`);
    who = { id: randomId("u_", 20), username: body.username };
  }
  const { options, challenge } = await registrationOptions(rp, who, exclude);
  const ceremony: PasskeyCeremony = { challenge, rp_id: rp.id, origins: rp.origins, user_id: who.id, username: who.username, add: me !== undefined };
  return c.json(await openCeremony(c, "passkey.register", ceremony, options));
});

passkeyRoutes.post("/register/verify", async (c) => {
  const { ceremony_id, response, name } = await readJson(c, PasskeyRegisterVerifyRequest);
  const ceremony = await takeCeremony(c, ceremony_id, "passkey.register");
  const me = ceremony.add ? await optionalPrincipal(c) : undefined;
  // Adding to an account: the same signed-in user that opened the ceremony.
  if (ceremony.add && me?.userId !== ceremony.user_id) {
    throw new ParleyError("unauthorized", "Adding a passkey needs the access token of the user who asked for the options.");
  }
  const passkey = await refusedIsLogged(c, "passkey.register", () => verifyRegistration({ id: ceremony.rp_id, origins: ceremony.origins }, ceremony.challenge, response, name));
  if (ceremony.add) {
    const view = unwrap(await directory(c.env).addPasskey(ceremony.user_id!, passkey));
    log(c, "info", "passkey.added", { user_id: ceremony.user_id, passkey_id: view.id });
    return c.json({ passkey: view }, 201);
  }
  const { user } = unwrap(await directory(c.env).registerWithPasskey(ceremony.user_id!, ceremony.username!, passkey));
  log(c, "info", "passkey.registered", { user_id: user.id });
  return c.json(await openSession(c, user, "passkey"), 201);
});

passkeyRoutes.post("/login/options", async (c) => {
  const rp = requireRp(c);
  const { username } = await optionalJson(c, PasskeyLoginOptionsRequest);
  let allow: Array<{ credential_id: string; transports: string[] }> = [];
  let only: string | undefined;
  if (username !== undefined) {
    const found = await directory(c.env).lookup(username);
    // An unknown name gets a ceremony all the same, one no passkey can pass.
    only = found?.id ?? "u_unknown";
    if (found) allow = await directory(c.env).passkeysOf(found.id);
  }
  const { options, challenge } = await authenticationOptions(rp, allow);
  const ceremony: PasskeyCeremony = { challenge, rp_id: rp.id, origins: rp.origins, ...(only ? { user_id: only } : {}) };
  return c.json(await openCeremony(c, "passkey.login", ceremony, options));
});

passkeyRoutes.post("/login/verify", async (c) => {
  const { ceremony_id, response } = await readJson(c, PasskeyLoginVerifyRequest);
  const ceremony = await takeCeremony(c, ceremony_id, "passkey.login");
  if (response.id !== response.rawId) throw new ParleyError("unauthorized", "The passkey could not be verified (id and rawId differ); start again.");
  const owner = await directory(c.env).passkeyOwner(response.id);
  if (!owner) throw new ParleyError("unauthorized", "This passkey is not registered here; sign up, or use another passkey.");
  const handle = userIdOfHandle(response.response.userHandle);
  if ((ceremony.user_id !== undefined && ceremony.user_id !== owner.user.id) || (handle !== undefined && handle !== owner.user.id)) {
    throw new ParleyError("unauthorized", "This passkey belongs to another user.");
  }
  const { newCounter } = await refusedIsLogged(c, "passkey.login", () =>
    verifyAuthentication({ id: ceremony.rp_id, origins: ceremony.origins }, ceremony.challenge, response, owner.passkey));
  unwrap(await directory(c.env).passkeyUsed(owner.passkey.credential_id, owner.passkey.counter, newCounter));
  log(c, "info", "passkey.signed_in", { user_id: owner.user.id, passkey_id: owner.passkey.id });
  return c.json(await openSession(c, owner.user, "passkey"));
});

/** The relying party of this request, or `404` when passkeys are not offered here. */
function requireRp(c: Context<AppEnv>): RelyingParty {
  const rp = relyingParty(configOf(c.env).signIn, c.req.url);
  if (!rp) throw new ParleyError("not_found", "Passkeys are not available on this deployment or host (an IP address cannot be a WebAuthn RP ID; use the host name).");
  return rp;
}

/** A JSON body that may also be empty (treated as `{}`). */
async function optionalJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  const text = await c.req.text();
  return text.trim() === "" ? schema.parse({}) : readJson(c, schema);
}

/** The principal of a Bearer token if one is sent (a bad one is `401`). */
async function optionalPrincipal(c: Context<AppEnv>): Promise<Principal | undefined> {
  const token = bearerToken(c, false);
  if (c.req.header("authorization") !== undefined && !token) throw new ParleyError("unauthorized", "Send the access token as Authorization: Bearer <token>.");
  return token ? verifyAccessToken(authSecret(c.env), token) : undefined;
}

async function openCeremony(c: Context<AppEnv>, kind: CeremonyKind, data: PasskeyCeremony, options: Record<string, unknown>): Promise<CeremonyOptions> {
  const id = await newCeremonyId(authSecret(c.env));
  const shard = (await verifyCeremonyId(authSecret(c.env), id))!;
  unwrap(await ceremonies(c.env, shard).open(id, kind, data, CEREMONY_TTL_MS));
  return { ceremony_id: id, options };
}

/** The ceremony behind an id, once; an id this deployment did not sign reaches no actor. */
async function takeCeremony(c: Context<AppEnv>, id: string, kind: CeremonyKind): Promise<PasskeyCeremony> {
  const shard = await verifyCeremonyId(authSecret(c.env), id);
  if (shard === undefined) throw new ParleyError("unauthorized", "This sign-in ceremony is unknown, expired or already used; start again.");
  return unwrap(await ceremonies(c.env, shard).take(id, kind)) as PasskeyCeremony;
}

/** Runs a verification; a refusal is logged with its cause (the client hears only its category). */
async function refusedIsLogged<T>(c: Context<AppEnv>, step: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof ParleyError && e.cause !== undefined) {
      log(c, "warn", "passkey.refused", { step, reason: e.cause instanceof Error ? e.cause.message.slice(0, 200) : String(e.cause) });
    }
    throw e;
  }
}

function log(c: Context<AppEnv>, level: "info" | "warn", event: string, fields: Record<string, string | undefined>): void {
  createLogger(configOf(c.env).logLevel)(level, event, { request_id: c.get("requestId"), ...fields });
}
