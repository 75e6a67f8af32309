/**
 * PKCE (RFC 7636) with the S256 method, for the OAuth authorization code
 * flow: the verifier stays in the ceremony (server side), the provider sees
 * only its challenge, and the token endpoint checks one against the other.
 */
import { randomId } from "../shared/ids.ts";
import { toBase64Url } from "./signed.ts";

/** 64 characters of [A-Za-z0-9] (≈ 381 bits), inside RFC 7636's 43–128 of the unreserved set. */
export function newCodeVerifier(): string {
  return randomId("", 64);
}

/** `BASE64URL(SHA256(ASCII(verifier)))`, no padding. */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return toBase64Url(new Uint8Array(digest));
}

/** A valid verifier by RFC 7636 §4.1: 43–128 of A–Z a–z 0–9 - . _ ~ */
export function isCodeVerifier(text: string): boolean {
  return /^[A-Za-z0-9\-._~]{43,128}$/.test(text);
}
