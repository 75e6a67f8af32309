/**
 * OAuth 2.0 authorization code flow with PKCE (S256) against GitHub and
 * Google (OpenID Connect): the provider-specific parts, as functions the
 * Worker's routes (worker/routes/oauth.ts) call. Provider URLs come from
 * the settings (src/shared/config.ts), so tests point them at a fake
 * provider on 127.0.0.1.
 *
 * Google: the ID token comes straight from the token endpoint, over TLS, in
 * answer to a request authenticated with the client secret; OpenID Connect
 * Core §3.1.3.7 lets a client rely on that TLS exchange instead of checking
 * the token's signature. Its claims are still checked: issuer, audience,
 * expiry and the nonce of this flow (decision 0019). GitHub is plain OAuth
 * 2.0: the account comes from its user endpoint with the access token.
 */
import { Username, type OAuthProvider } from "../protocol/index.ts";
import type { OAuthProviderConfig } from "../shared/config.ts";
import { fromBase64Url } from "./signed.ts";

/** How long one call to a provider may take. */
export const PROVIDER_TIMEOUT_MS = 10_000;
/** Scopes asked for: just enough to know who it is. */
const SCOPES: Record<OAuthProvider, string> = { github: "read:user", google: "openid email profile" };

/** A provider's answer that Parley refuses; `detail` goes to the log, never to the browser. */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
}

/** Who the provider says signed in. */
export interface ProviderIdentity {
  subject: string;
  label: string | null;
  suggested: string | null;
}

export interface AuthorizeParams {
  redirectUri: string;
  state: string;
  codeChallenge: string;
  /** OpenID Connect providers: binds the ID token to this flow. */
  nonce: string;
}

/** The provider's authorize URL for this flow. */
export function authorizeUrl(provider: OAuthProvider, config: OAuthProviderConfig, p: AuthorizeParams): string {
  const url = new URL(config.authorizeUrl);
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("redirect_uri", p.redirectUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", SCOPES[provider]);
  url.searchParams.set("state", p.state);
  url.searchParams.set("code_challenge", p.codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  if (provider === "google") {
    url.searchParams.set("nonce", p.nonce);
    url.searchParams.set("prompt", "select_account");
  } else {
    url.searchParams.set("allow_signup", "true");
  }
  return url.toString();
}

/** Exchanges the code (with the PKCE verifier and the client secret) and finds out who signed in. */
export async function identify(
  provider: OAuthProvider,
  config: OAuthProviderConfig,
  flow: { code: string; redirectUri: string; codeVerifier: string; nonce: string },
  now = Date.now(),
): Promise<ProviderIdentity> {
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: flow.code,
    redirect_uri: flow.redirectUri,
    client_id: config.clientId,
    client_secret: config.clientSecret,
    code_verifier: flow.codeVerifier,
  });
  const token = await getJson(config.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: form.toString(),
  });
  // GitHub answers a refused exchange with 200 and {error}; both say so in `error`.
  if (typeof token.error === "string") throw new ProviderError(`token endpoint: ${token.error}`);
  if (provider === "google") {
    if (typeof token.id_token !== "string") throw new ProviderError("token endpoint: no id_token");
    const claims = decodeJwtPayload(token.id_token);
    if (!claims) throw new ProviderError("id_token: not a JWT");
    const problem = idTokenProblem(claims, { issuer: config.issuer ?? "", clientId: config.clientId, nonce: flow.nonce, now });
    if (problem) throw new ProviderError(`id_token: ${problem}`);
    const email = typeof claims.email === "string" && claims.email.length <= 254 ? claims.email : null;
    return { subject: claims.sub as string, label: email, suggested: suggestUsername(email?.split("@")[0]) };
  }
  if (typeof token.access_token !== "string") throw new ProviderError("token endpoint: no access_token");
  const user = await getJson(config.userUrl ?? "", {
    headers: { authorization: `Bearer ${token.access_token}`, accept: "application/vnd.github+json", "user-agent": "Parley" },
  });
  const id = user.id;
  if (!((typeof id === "number" && Number.isSafeInteger(id) && id > 0) || (typeof id === "string" && /^[0-9]{1,20}$/.test(id)))) {
    throw new ProviderError("user endpoint: no numeric id");
  }
  const login = typeof user.login === "string" && user.login.length <= 64 ? user.login : null;
  return { subject: String(id), label: login, suggested: suggestUsername(login) };
}

/** What is wrong with an ID token's claims for this flow, or undefined when nothing is. */
export function idTokenProblem(
  claims: Record<string, unknown>,
  expected: { issuer: string; clientId: string; nonce: string; now: number },
): string | undefined {
  const issuers = new Set([expected.issuer]);
  // Google's ID tokens may name their issuer without the scheme.
  if (expected.issuer === "https://accounts.google.com") issuers.add("accounts.google.com");
  if (typeof claims.iss !== "string" || !issuers.has(claims.iss)) return "wrong issuer";
  const aud = claims.aud;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (!audiences.includes(expected.clientId)) return "wrong audience";
  if (audiences.length > 1 && claims.azp !== expected.clientId) return "wrong authorized party";
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= expected.now) return "expired";
  if (typeof claims.nonce !== "string" || claims.nonce !== expected.nonce) return "wrong nonce";
  if (typeof claims.sub !== "string" || claims.sub.length === 0 || claims.sub.length > 255) return "no subject";
  return undefined;
}

/** The payload of a compact JWS, unverified; undefined when it is not one. */
export function decodeJwtPayload(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split(".");
  if (parts.length !== 3 || jwt.length > 16_384) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(fromBase64Url(parts[1]!)));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A username made of a provider's name for the account, when one can be (it may still be taken). */
export function suggestUsername(name: string | null | undefined): string | null {
  if (!name) return null;
  const candidate = name.replace(/[-.]/g, "_").replace(/[^A-Za-z0-9_]/g, "").slice(0, 32);
  return Username.safeParse(candidate).success ? candidate : null;
}

async function getJson(url: string, init: RequestInit): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: "manual", signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  } catch (cause) {
    throw new ProviderError(`${new URL(url).host}: unreachable (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ProviderError(`${new URL(url).host}: answered ${res.status} with a body that is not JSON`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new ProviderError(`${new URL(url).host}: answered ${res.status} without a JSON object`);
  const object = body as Record<string, unknown>;
  if (!res.ok && typeof object.error !== "string") throw new ProviderError(`${new URL(url).host}: answered ${res.status}`);
  return object;
}
