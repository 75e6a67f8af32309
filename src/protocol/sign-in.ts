import { z } from "zod";
import { UserId } from "./frames.ts";
import { Username } from "./rest.ts";
import { displayText } from "./text.ts";

/**
 * Sign-in without a password database (docs/protocol.md §22.10, since
 * v1.2): passkeys (WebAuthn), OAuth 2.0 / OpenID Connect with GitHub and
 * Google, and the refresh token in a cookie for the web app. Every request
 * body here is parsed with these schemas before anything runs.
 */

/** The OAuth providers Parley knows; each is offered only when configured. */
export const OAuthProvider = z.enum(["github", "google"]);
export type OAuthProvider = z.infer<typeof OAuthProvider>;

/** `GET /v1/auth/methods`: what this deployment offers (no authentication). */
export const SignInMethods = z.object({
  dev_login: z.boolean(),
  /** False when passkeys are off, or the page's host cannot be a WebAuthn RP ID (an IP address). */
  passkeys: z.boolean(),
  oauth: z.array(OAuthProvider),
});
export type SignInMethods = z.infer<typeof SignInMethods>;

/**
 * The header a web client sends to keep its refresh token in an HttpOnly
 * cookie instead of the JSON body (decision 0020). Required, too, on every
 * request that the cookie authenticates (refresh, logout): a cross-site form
 * cannot set it, and a cross-site script would need a CORS preflight that
 * Parley never grants.
 */
export const SESSION_MODE_HEADER = "X-Parley-Session";
export const COOKIE_MODE = "cookie";

/** Longest base64url field of a WebAuthn response (attestation objects with certificate chains are a few KiB). */
const MAX_WEBAUTHN_FIELD = 16_384;
/** A credential id: at most 1023 bytes (WebAuthn §5.8.3), so at most 1364 base64url characters. */
const MAX_CREDENTIAL_ID_CHARS = 1364;

const Base64Url = (max: number) =>
  z.string().min(1).max(max).regex(/^[A-Za-z0-9_-]+={0,2}$/, "must be base64url");

/** A credential id (base64url), as WebAuthn's JSON carries it. */
export const CredentialId = Base64Url(MAX_CREDENTIAL_ID_CHARS);

const Transports = z.array(z.enum(["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"])).max(8);

/** What `navigator.credentials.create()` answers, as JSON (`RegistrationResponseJSON`). */
export const RegistrationResponseJson = z.object({
  id: CredentialId,
  rawId: CredentialId,
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: Base64Url(MAX_WEBAUTHN_FIELD),
    attestationObject: Base64Url(MAX_WEBAUTHN_FIELD),
    authenticatorData: Base64Url(MAX_WEBAUTHN_FIELD).optional(),
    transports: Transports.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: Base64Url(MAX_WEBAUTHN_FIELD).optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});
export type RegistrationResponseJson = z.infer<typeof RegistrationResponseJson>;

/** What `navigator.credentials.get()` answers, as JSON (`AuthenticationResponseJSON`). */
export const AuthenticationResponseJson = z.object({
  id: CredentialId,
  rawId: CredentialId,
  type: z.literal("public-key"),
  response: z.object({
    clientDataJSON: Base64Url(MAX_WEBAUTHN_FIELD),
    authenticatorData: Base64Url(MAX_WEBAUTHN_FIELD),
    signature: Base64Url(MAX_WEBAUTHN_FIELD),
    userHandle: Base64Url(256).optional(),
  }),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});
export type AuthenticationResponseJson = z.infer<typeof AuthenticationResponseJson>;

/**
 * A ceremony id: single use, short-lived, signed by the Worker (so one it
 * did not mint reaches no actor). Opaque to clients.
 */
export const CeremonyId = z.string().min(1).max(128).regex(/^cer[0-9a-f]_[A-Za-z0-9]{24}\.[A-Za-z0-9_-]{22}$/, "must be a ceremony id from the options call");

/** A passkey's name as its owner sees it. */
export const PasskeyName = displayText(64, "must not be empty or only white space");

/**
 * `POST /v1/auth/passkeys/register/options`: `{username}` for a new account;
 * with `Authorization: Bearer`, an empty body (or `{}`) adds a passkey to the
 * signed-in user.
 */
export const PasskeyRegisterOptionsRequest = z.object({ username: Username.optional() });

/** `POST /v1/auth/passkeys/login/options`: `{}` for a discoverable (usernameless) sign-in, or `{username}`. */
export const PasskeyLoginOptionsRequest = z.object({ username: Username.optional() });

/** Answer of both options calls: pass `options` to the browser (after turning its base64url fields into bytes). */
export const CeremonyOptions = z.object({ ceremony_id: z.string(), options: z.record(z.string(), z.unknown()) });
export type CeremonyOptions = z.infer<typeof CeremonyOptions>;

/** `POST /v1/auth/passkeys/register/verify` */
export const PasskeyRegisterVerifyRequest = z.object({
  ceremony_id: CeremonyId,
  response: RegistrationResponseJson,
  /** A name for the new passkey; default "Passkey". */
  name: PasskeyName.optional(),
});

/** `POST /v1/auth/passkeys/login/verify` */
export const PasskeyLoginVerifyRequest = z.object({ ceremony_id: CeremonyId, response: AuthenticationResponseJson });

/** Internal id of a passkey in routes (`/v1/me/passkeys/{id}`). */
export const PasskeyId = z.string().regex(/^pk_[A-Za-z0-9]{16}$/, "must be a passkey id (pk_…)");

/** A passkey as its owner sees it (`GET /v1/me/passkeys`). */
export const PasskeyView = z.object({
  id: PasskeyId,
  name: z.string(),
  /** The WebAuthn credential id, base64url. */
  credential_id: z.string(),
  created_at: z.number().int(),
  last_used_at: z.number().int().nullable(),
  /** Synced between devices (a multi-device credential that is backed up). */
  backed_up: z.boolean(),
  transports: z.array(z.string()),
});
export type PasskeyView = z.infer<typeof PasskeyView>;

export const PasskeyList = z.object({ passkeys: z.array(PasskeyView) });
export type PasskeyList = z.infer<typeof PasskeyList>;
/** Answer of a passkey added to a signed-in user. */
export const PasskeyResponse = z.object({ passkey: PasskeyView });

/** `PATCH /v1/me/passkeys/{id}` */
export const RenamePasskeyRequest = z.object({ name: PasskeyName });

/** A linked OAuth identity as its owner sees it (`GET /v1/me/identities`). */
export const IdentityView = z.object({
  provider: OAuthProvider,
  /** The provider's name for the account (a GitHub login, a Google address), when it gave one. */
  label: z.string().nullable(),
  created_at: z.number().int(),
  last_used_at: z.number().int().nullable(),
});
export type IdentityView = z.infer<typeof IdentityView>;
export const IdentityList = z.object({ identities: z.array(IdentityView) });
export type IdentityList = z.infer<typeof IdentityList>;

/**
 * A choose-username ticket (the OAuth callback's redirect carries it): signed,
 * short-lived, opaque to clients.
 */
export const OAuthTicket = z.string().min(1).max(2048).regex(/^ot_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, "must be the ticket of the choose-username step");

/** `POST /v1/auth/oauth/complete` */
export const OAuthCompleteRequest = z.object({ ticket: OAuthTicket, username: Username });

/** `GET /v1/auth/oauth/{provider}/start?return_to=&link=` */
export const OAuthStartQuery = z.object({
  return_to: z.string().max(512).optional(),
  link: z.enum(["1"]).optional(),
});

/**
 * The `error` of the redirect to `/#/sign-in?error=…` after an OAuth
 * callback that did not sign anyone in. A closed set, like ErrorCode.
 */
export const OAuthErrorCode = z.enum([
  /** The person declined at the provider, or the provider sent an error. */
  "access_denied",
  /** No, a wrong, a used or an expired `state`, or not the browser that started. */
  "invalid_state",
  /** The provider's token or profile answer was refused or malformed (a wrong PKCE verifier, a bad ID token). */
  "provider_failed",
  /** Linking: this identity already belongs to another user. */
  "identity_linked",
  /** Linking: the cookie session that started it is gone. */
  "session_required",
  /** Anything else; the log has the request id. */
  "internal",
]);
export type OAuthErrorCode = z.infer<typeof OAuthErrorCode>;

/** A session as its user sees it (`GET /v1/me/sessions`). */
export const SessionView = z.object({
  /** The session (refresh-token family) id, the access token's `sid`. */
  id: z.string(),
  created_at: z.number().int(),
  last_used_at: z.number().int(),
  /** The session of the access token that asked. */
  current: z.boolean(),
  /** How it was opened: "dev", "passkey", "github", "google"; null for sessions older than v1.2. */
  method: z.string().nullable(),
  /** The browser's User-Agent when it was opened (at most 200 characters), if it sent one. */
  agent: z.string().nullable(),
});
export type SessionView = z.infer<typeof SessionView>;
export const SessionList = z.object({ sessions: z.array(SessionView) });
export type SessionList = z.infer<typeof SessionList>;

/** What the actors keep of a verified passkey (not a wire shape: Directory RPC). */
export interface NewPasskey {
  credential_id: string;
  public_key: string;
  counter: number;
  transports: string[];
  backed_up: boolean;
  device_type: string;
  name: string;
}

/** Who a sign-in method belongs to (Directory RPC). */
export const SignInOwner = z.object({ id: UserId, username: z.string() });
export type SignInOwner = z.infer<typeof SignInOwner>;
