/**
 * Passkeys in the browser: the server speaks the WebAuthn JSON forms
 * (PublicKeyCredentialCreationOptionsJSON, …, RegistrationResponseJSON), in
 * which every binary field is base64url; `navigator.credentials` wants and
 * returns ArrayBuffers. These functions convert both ways. Written here
 * rather than relying on `PublicKeyCredential.parseCreationOptionsFromJSON`,
 * which not every browser this app supports has.
 */

/** base64url (RFC 4648 §5, padding optional) to bytes. Throws on characters outside the alphabet. */
export function fromBase64Url(text: string): ArrayBuffer {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new TypeError("not base64url");
  const b64 = text.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  if (b64.length % 4 === 1) throw new TypeError("not base64url: bad length");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

/** Bytes to base64url without padding. */
export function toBase64Url(data: ArrayBuffer | ArrayBufferView): string {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

type Json = Record<string, unknown>;
interface DescriptorJson {
  id: string;
  type: string;
  transports?: string[];
}

const descriptors = (list: unknown): PublicKeyCredentialDescriptor[] | undefined =>
  Array.isArray(list)
    ? (list as DescriptorJson[]).map((d) => ({ ...d, id: fromBase64Url(d.id), type: "public-key" as const, transports: d.transports as AuthenticatorTransport[] | undefined }))
    : undefined;

/** PublicKeyCredentialCreationOptionsJSON → the options `navigator.credentials.create({publicKey})` takes. */
export function creationOptions(json: Json): PublicKeyCredentialCreationOptions {
  const user = json.user as Json;
  return {
    ...(json as object),
    challenge: fromBase64Url(String(json.challenge)),
    user: { ...(user as object), id: fromBase64Url(String(user.id)) } as PublicKeyCredentialUserEntity,
    excludeCredentials: descriptors(json.excludeCredentials) ?? [],
  } as PublicKeyCredentialCreationOptions;
}

/** PublicKeyCredentialRequestOptionsJSON → the options `navigator.credentials.get({publicKey})` takes. */
export function requestOptions(json: Json): PublicKeyCredentialRequestOptions {
  const allow = descriptors(json.allowCredentials);
  return {
    ...(json as object),
    challenge: fromBase64Url(String(json.challenge)),
    ...(allow ? { allowCredentials: allow } : {}),
  } as PublicKeyCredentialRequestOptions;
}

/** What a credential looks like as far as these functions read it (a PublicKeyCredential, or a test double). */
export interface CredentialLike {
  id: string;
  rawId: ArrayBuffer;
  type: string;
  authenticatorAttachment?: string | null;
  response: {
    clientDataJSON: ArrayBuffer;
    attestationObject?: ArrayBuffer;
    authenticatorData?: ArrayBuffer;
    signature?: ArrayBuffer;
    userHandle?: ArrayBuffer | null;
    getTransports?: () => string[];
  };
  getClientExtensionResults?: () => unknown;
}

/** What both ceremonies' JSON share around their `response`: the credential's ids, type, attachment and extension results. */
function credentialJson(cred: CredentialLike, response: Json): Json {
  return {
    id: cred.id,
    rawId: toBase64Url(cred.rawId),
    type: cred.type,
    ...(cred.authenticatorAttachment ? { authenticatorAttachment: cred.authenticatorAttachment } : {}),
    clientExtensionResults: cred.getClientExtensionResults?.() ?? {},
    response,
  };
}

/** A new credential (from `create`) as RegistrationResponseJSON. */
export function registrationJson(cred: CredentialLike): Json {
  const r = cred.response;
  return credentialJson(cred, {
    clientDataJSON: toBase64Url(r.clientDataJSON),
    attestationObject: toBase64Url(r.attestationObject ?? new ArrayBuffer(0)),
    transports: r.getTransports?.() ?? [],
  });
}

/** An assertion (from `get`) as AuthenticationResponseJSON. */
export function authenticationJson(cred: CredentialLike): Json {
  const r = cred.response;
  return credentialJson(cred, {
    clientDataJSON: toBase64Url(r.clientDataJSON),
    authenticatorData: toBase64Url(r.authenticatorData ?? new ArrayBuffer(0)),
    signature: toBase64Url(r.signature ?? new ArrayBuffer(0)),
    ...(r.userHandle ? { userHandle: toBase64Url(r.userHandle) } : {}),
  });
}

/** Whether this browser can use passkeys at all. */
export function passkeysSupported(): boolean {
  return typeof window !== "undefined" && "PublicKeyCredential" in window && !!navigator.credentials;
}
