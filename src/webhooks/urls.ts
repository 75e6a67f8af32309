/**
 * Which URLs Parley will call: a bot's webhook and a webhook endpoint must
 * be https (no credentials in the URL, no fragment), except that a
 * deployment with WEBHOOK_ALLOW_LOOPBACK may use http://127.0.0.1 and
 * http://localhost (tests and local development). A push endpoint must be on
 * a host of PUSH_ENDPOINTS (the browsers' push services by default): Parley
 * posts to it on behalf of any user, so it may not name any host at all.
 */
import { ParleyError } from "../protocol/index.ts";

function parse(raw: string, field: string): URL {
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) throw new ParleyError("bad_request", `${field}: must not contain spaces or control characters.`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ParleyError("bad_request", `${field}: must be an absolute URL.`);
  }
  if (url.username !== "" || url.password !== "") throw new ParleyError("bad_request", `${field}: must not carry credentials.`);
  if (url.hash !== "") throw new ParleyError("bad_request", `${field}: must not have a fragment.`);
  return url;
}

function isLoopbackHost(host: string): boolean {
  return host === "127.0.0.1" || host === "localhost";
}

/** A bot's or an endpoint's URL, normalised; `bad_request` naming `field` otherwise. */
export function checkHookUrl(raw: string, allowLoopback: boolean, field = "url"): string {
  const url = parse(raw, field);
  if (url.protocol === "https:" && url.hostname !== "" && !isLoopbackHost(url.hostname)) return url.toString();
  if (allowLoopback && url.protocol === "http:" && isLoopbackHost(url.hostname)) return url.toString();
  throw new ParleyError("bad_request", `${field}: must be an https:// URL${allowLoopback ? " (or http://127.0.0.1)" : ""}.`);
}

/** A push subscription's endpoint: https on an allowed host, or loopback http when PUSH_ENDPOINTS lists it. */
export function checkPushEndpoint(raw: string, allowed: readonly string[]): string {
  const url = parse(raw, "endpoint");
  const host = url.hostname.toLowerCase();
  if (url.protocol === "http:" && isLoopbackHost(host) && allowed.includes(`http://${host}`)) return url.toString();
  if (url.protocol === "https:" && allowed.some((a) => !a.startsWith("http://") && (a.startsWith(".") ? host.endsWith(a) && host.length > a.length : host === a))) {
    return url.toString();
  }
  throw new ParleyError("bad_request", "endpoint: not a push service this deployment sends to.");
}
