/**
 * The bodies of `ParleyApi`'s sign-in and account-security calls (./rest.ts
 * keeps the public methods and their documentation): the sign-in routes that
 * need no token (dev login, refresh, logout by refresh token, passkey
 * ceremonies, health) and the signed-in user's passkeys, linked identities
 * and sessions (protocol §22.10).
 */
import type { z } from "zod";
import {
  CeremonyOptions,
  HealthResponse,
  IdentityList,
  LoginResponse,
  PasskeyList,
  PasskeyResponse,
  RevokeOthersResponse,
  SessionList,
  SignInMethods,
  type AuthenticationResponseJson,
  type IdentityView,
  type OAuthProvider,
  type PasskeyView,
  type RegistrationResponseJson,
  type SessionView,
} from "../../src/protocol/index.ts";
import { NO_CONTENT, joinUrl, requestJson, type RestCall } from "./rest-request.ts";

/** How long a call without a token may take: these come before any `Timing` is known. */
const ANONYMOUS_TIMEOUT_MS = 15_000;

/** One call without a token. */
function anonymous<S extends z.ZodType>(baseUrl: string, method: string, path: string, body: unknown, schema: S, fetchImpl: typeof fetch): Promise<z.infer<S>> {
  return requestJson(joinUrl(baseUrl, path), method, body, schema, { fetch: fetchImpl, timeoutMs: ANONYMOUS_TIMEOUT_MS });
}

// --- without a token ---------------------------------------------------------------

export function devLogin(baseUrl: string, username: string, fetchImpl: typeof fetch): Promise<LoginResponse> {
  return anonymous(baseUrl, "POST", "/v1/auth/dev-login", { username }, LoginResponse, fetchImpl);
}

export function refreshSession(baseUrl: string, refreshToken: string, fetchImpl: typeof fetch): Promise<LoginResponse> {
  return anonymous(baseUrl, "POST", "/v1/auth/refresh", { refresh_token: refreshToken }, LoginResponse, fetchImpl);
}

export async function logoutSession(baseUrl: string, refreshToken: string, fetchImpl: typeof fetch): Promise<void> {
  await anonymous(baseUrl, "POST", "/v1/auth/logout", { refresh_token: refreshToken }, NO_CONTENT, fetchImpl);
}

export function health(baseUrl: string, fetchImpl: typeof fetch): Promise<z.infer<typeof HealthResponse>> {
  return anonymous(baseUrl, "GET", "/v1/healthz", undefined, HealthResponse, fetchImpl);
}

export function signInMethods(baseUrl: string, fetchImpl: typeof fetch): Promise<SignInMethods> {
  return anonymous(baseUrl, "GET", "/v1/auth/methods", undefined, SignInMethods, fetchImpl);
}

export function passkeySignUpOptions(baseUrl: string, username: string, fetchImpl: typeof fetch): Promise<CeremonyOptions> {
  return anonymous(baseUrl, "POST", "/v1/auth/passkeys/register/options", { username }, CeremonyOptions, fetchImpl);
}

export function passkeySignUp(baseUrl: string, ceremonyId: string, response: RegistrationResponseJson, name: string | undefined, fetchImpl: typeof fetch): Promise<LoginResponse> {
  const body = { ceremony_id: ceremonyId, response, ...(name !== undefined ? { name } : {}) };
  return anonymous(baseUrl, "POST", "/v1/auth/passkeys/register/verify", body, LoginResponse, fetchImpl);
}

export function passkeySignInOptions(baseUrl: string, username: string | undefined, fetchImpl: typeof fetch): Promise<CeremonyOptions> {
  return anonymous(baseUrl, "POST", "/v1/auth/passkeys/login/options", username !== undefined ? { username } : {}, CeremonyOptions, fetchImpl);
}

export function passkeySignIn(baseUrl: string, ceremonyId: string, response: AuthenticationResponseJson, fetchImpl: typeof fetch): Promise<LoginResponse> {
  return anonymous(baseUrl, "POST", "/v1/auth/passkeys/login/verify", { ceremony_id: ceremonyId, response }, LoginResponse, fetchImpl);
}

// --- the signed-in user's passkeys, identities and sessions -----------------------------

export async function passkeys(call: RestCall): Promise<PasskeyView[]> {
  return (await call("GET", "/v1/me/passkeys", undefined, PasskeyList)).passkeys;
}

export async function renamePasskey(call: RestCall, id: string, name: string): Promise<PasskeyView> {
  return (await call("PATCH", `/v1/me/passkeys/${encodeURIComponent(id)}`, { name }, PasskeyResponse)).passkey;
}

export async function deletePasskey(call: RestCall, id: string): Promise<void> {
  await call("DELETE", `/v1/me/passkeys/${encodeURIComponent(id)}`, undefined, NO_CONTENT);
}

export function addPasskeyOptions(call: RestCall): Promise<CeremonyOptions> {
  return call("POST", "/v1/auth/passkeys/register/options", {}, CeremonyOptions);
}

export async function addPasskey(call: RestCall, ceremonyId: string, response: RegistrationResponseJson, name?: string): Promise<PasskeyView> {
  const body = { ceremony_id: ceremonyId, response, ...(name !== undefined ? { name } : {}) };
  return (await call("POST", "/v1/auth/passkeys/register/verify", body, PasskeyResponse)).passkey;
}

export async function identities(call: RestCall): Promise<IdentityView[]> {
  return (await call("GET", "/v1/me/identities", undefined, IdentityList)).identities;
}

export async function unlinkIdentity(call: RestCall, provider: OAuthProvider): Promise<void> {
  await call("DELETE", `/v1/me/identities/${encodeURIComponent(provider)}`, undefined, NO_CONTENT);
}

export async function sessions(call: RestCall): Promise<SessionView[]> {
  return (await call("GET", "/v1/me/sessions", undefined, SessionList)).sessions;
}

export async function revokeSession(call: RestCall, id: string): Promise<void> {
  await call("DELETE", `/v1/me/sessions/${encodeURIComponent(id)}`, undefined, NO_CONTENT);
}

export async function revokeOtherSessions(call: RestCall): Promise<number> {
  return (await call("POST", "/v1/me/sessions/revoke-others", undefined, RevokeOthersResponse)).revoked;
}
