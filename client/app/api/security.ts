/**
 * The signed-in user's ways to sign in and sessions (protocol §22.10):
 * passkeys, linked GitHub / Google accounts, and the sessions of every
 * device. Shapes are the contract's (src/protocol/sign-in.ts).
 */
import type { IdentityList, PasskeyList, PasskeyView, SessionList } from "../../../src/protocol/index.ts";
import { call } from "./http.ts";

export type { IdentityView, PasskeyView, SessionView } from "../../../src/protocol/index.ts";

/** `GET /v1/me/passkeys` (oldest first). */
export function passkeys(): Promise<PasskeyList> {
  return call("GET", "/v1/me/passkeys");
}

/** `PATCH /v1/me/passkeys/{id}`: a new name (1–64 characters). */
export async function renamePasskey(id: string, name: string): Promise<PasskeyView> {
  return (await call<{ passkey: PasskeyView }>("PATCH", `/v1/me/passkeys/${encodeURIComponent(id)}`, { name })).passkey;
}

/** `DELETE /v1/me/passkeys/{id}`; `conflict` when it is the last way to sign in. */
export function deletePasskey(id: string): Promise<void> {
  return call("DELETE", `/v1/me/passkeys/${encodeURIComponent(id)}`);
}

/** `GET /v1/me/identities`. */
export function identities(): Promise<IdentityList> {
  return call("GET", "/v1/me/identities");
}

/** `DELETE /v1/me/identities/{provider}`; `conflict` when it is the last way to sign in. */
export function unlinkIdentity(provider: string): Promise<void> {
  return call("DELETE", `/v1/me/identities/${encodeURIComponent(provider)}`);
}

/** `GET /v1/me/sessions` (most recently used first; `current` marks this tab's). */
export function sessions(): Promise<SessionList> {
  return call("GET", "/v1/me/sessions");
}

/** `DELETE /v1/me/sessions/{id}`: signs that device out (at its next refresh). */
export function revokeSession(id: string): Promise<void> {
  return call("DELETE", `/v1/me/sessions/${encodeURIComponent(id)}`);
}

/** `POST /v1/me/sessions/revoke-others`: signs out every other device. */
export function revokeOtherSessions(): Promise<{ revoked: number }> {
  return call("POST", "/v1/me/sessions/revoke-others", {});
}
