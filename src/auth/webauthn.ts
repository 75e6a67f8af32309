/**
 * Passkeys (WebAuthn) through `@simplewebauthn/server` (decision 0018): the
 * library builds the options and checks every response (challenge, origin,
 * RP ID hash, user presence and verification, signature, counter); this
 * module fixes Parley's choices and turns any refusal into `unauthorized`.
 *
 * - Discoverable credentials (`residentKey: "required"`), so a person can
 *   sign in without typing a username; user verification required, so a
 *   passkey alone is two factors (the device and its PIN or biometric).
 * - Attestation `none`: Parley does not restrict authenticator models. An
 *   attestation statement with certificates is refused before the library
 *   sees it (checking one may fetch revocation lists from URLs inside the
 *   certificate, which the sender chose); `none` and self-attested `packed`
 *   are accepted.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { decodeAttestationObject, isoBase64URL } from "@simplewebauthn/server/helpers";
import {
  ParleyError,
  type AuthenticationResponseJson,
  type NewPasskey,
  type RegistrationResponseJson,
} from "../protocol/index.ts";
import type { SignInConfig } from "../shared/config.ts";

/** How long a ceremony (options → verify) may take; the browser's own timeout is the same. */
export const CEREMONY_TTL_MS = 5 * 60_000;
/** COSE algorithms accepted: Ed25519, ES256, RS256 (what Web Crypto in workerd verifies). */
export const ALGORITHMS = [-8, -7, -257];
const DEFAULT_PASSKEY_NAME = "Passkey";

/** The relying party of a request: its RP ID and the origins a response may come from. */
export interface RelyingParty {
  id: string;
  name: string;
  origins: string[];
}

/**
 * The RP of a request: `WEBAUTHN_RP_ID` or else the request's host name,
 * `WEBAUTHN_ORIGINS` or else the request's origin. Undefined when passkeys
 * are off or the RP ID would be an IP address, which browsers refuse
 * ("This is an invalid domain": open the app at http://localhost, not
 * http://127.0.0.1).
 */
export function relyingParty(config: SignInConfig, requestUrl: string): RelyingParty | undefined {
  if (!config.passkeys) return undefined;
  const url = new URL(requestUrl);
  const id = config.rpId ?? url.hostname;
  if (isIpAddress(id)) return undefined;
  return { id, name: config.rpName, origins: config.origins.length > 0 ? [...config.origins] : [url.origin] };
}

export function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":") || host.startsWith("[");
}

/** Options for `navigator.credentials.create()`; `challenge` is what the ceremony keeps. */
export async function registrationOptions(
  rp: RelyingParty,
  user: { id: string; username: string },
  exclude: ReadonlyArray<{ credential_id: string; transports: string[] }>,
): Promise<{ options: Record<string, unknown>; challenge: string }> {
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userDisplayName: user.username,
    // The user handle is the user id: a discoverable sign-in names its user with it.
    userID: new Uint8Array(new TextEncoder().encode(user.id)),
    timeout: CEREMONY_TTL_MS,
    attestationType: "none",
    excludeCredentials: exclude.map((c) => ({ id: c.credential_id, transports: c.transports })),
    authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
    supportedAlgorithmIDs: ALGORITHMS,
  });
  return { options: options as unknown as Record<string, unknown>, challenge: options.challenge };
}

/** Checks a registration response against its ceremony; the credential to keep, or `unauthorized`. */
export async function verifyRegistration(
  rp: { id: string; origins: string[] },
  challenge: string,
  response: RegistrationResponseJson,
  name: string | undefined,
): Promise<NewPasskey> {
  const fmt = attestationFormat(response.response.attestationObject);
  if (fmt !== "none" && fmt !== "self") {
    throw refused(`attestation ${fmt ?? "unreadable"}: only "none" (or self attestation) is accepted; ask for attestation "none"`);
  }
  let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    result = await verifyRegistrationResponse({
      response: response as Parameters<typeof verifyRegistrationResponse>[0]["response"],
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: ALGORITHMS,
    });
  } catch (cause) {
    throw refused(describe(cause), cause);
  }
  if (!result.verified) throw refused("not verified");
  const info = result.registrationInfo;
  // The id the client names must be the one inside the signed authenticator data.
  if (info.credential.id !== response.id || response.id !== response.rawId) throw refused("credential id mismatch");
  return {
    credential_id: info.credential.id,
    public_key: isoBase64URL.fromBuffer(info.credential.publicKey),
    counter: info.credential.counter,
    transports: (response.response.transports ?? []).slice(0, 8),
    backed_up: info.credentialBackedUp,
    device_type: info.credentialDeviceType,
    name: name ?? DEFAULT_PASSKEY_NAME,
  };
}

/** Options for `navigator.credentials.get()`; an empty `allow` lets the browser offer any passkey of this RP. */
export async function authenticationOptions(
  rp: RelyingParty,
  allow: ReadonlyArray<{ credential_id: string; transports: string[] }>,
): Promise<{ options: Record<string, unknown>; challenge: string }> {
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    timeout: CEREMONY_TTL_MS,
    userVerification: "required",
    allowCredentials: allow.map((c) => ({ id: c.credential_id, transports: c.transports })),
  });
  return { options: options as unknown as Record<string, unknown>, challenge: options.challenge };
}

/** Checks a sign-in response against its ceremony and the stored credential; the new counter, or `unauthorized`. */
export async function verifyAuthentication(
  rp: { id: string; origins: string[] },
  challenge: string,
  response: AuthenticationResponseJson,
  stored: { credential_id: string; public_key: string; counter: number; transports: string[] },
): Promise<{ newCounter: number }> {
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    result = await verifyAuthenticationResponse({
      response: response as Parameters<typeof verifyAuthenticationResponse>[0]["response"],
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: stored.credential_id,
        publicKey: isoBase64URL.toBuffer(stored.public_key),
        counter: stored.counter,
        transports: stored.transports as never,
      },
    });
  } catch (cause) {
    throw refused(describe(cause), cause);
  }
  if (!result.verified) throw refused("bad signature");
  return { newCounter: result.authenticationInfo.newCounter };
}

/** The user id a passkey's user handle names (the handle is the id's UTF-8), or undefined. */
export function userIdOfHandle(handle: string | undefined): string | undefined {
  if (!handle) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(isoBase64URL.toBuffer(handle));
  } catch {
    return undefined;
  }
}

/** "none", "self" (packed without certificates), another format's name, or undefined when unreadable. */
export function attestationFormat(attestationObject: string): string | undefined {
  try {
    const decoded = decodeAttestationObject(isoBase64URL.toBuffer(attestationObject));
    const fmt = decoded.get("fmt");
    if (fmt === "packed" && decoded.get("attStmt")?.get("x5c") === undefined) return "self";
    return typeof fmt === "string" ? fmt : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What failed, in a word the client may hear: the library's own message can
 * quote values of the ceremony, so only its category goes out.
 */
export function reasonOf(message: string): string {
  const m = message.toLowerCase();
  if (m.includes("challenge")) return "wrong challenge";
  if (m.includes("origin")) return "wrong origin";
  if (m.includes("rp id") || m.includes("rpid")) return "wrong RP ID";
  if (m.includes("counter")) return "signature counter went back";
  if (m.includes("user verification") || m.includes("user could not be verified")) return "user not verified";
  if (m.includes("user presence") || m.includes("user not present")) return "user not present";
  if (m.includes("type")) return "wrong response type";
  if (m.includes("signature")) return "bad signature";
  if (m.includes("algorithm")) return "unsupported algorithm";
  return "malformed response";
}

function describe(cause: unknown): string {
  return reasonOf(cause instanceof Error ? cause.message : String(cause));
}

/** The refusal of a ceremony: `unauthorized` with the reason's category (the cause stays for the log). */
function refused(why: string, cause?: unknown): ParleyError {
  return new ParleyError("unauthorized", `The passkey could not be verified (${why}); start again.`, cause === undefined ? undefined : { cause });
}
