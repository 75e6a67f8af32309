/**
 * The app's own REST calls: the routes the SDK's `ParleyApi` has no method
 * for yet (each caller in ./rest.ts says which). Same rules as the SDK: JSON
 * in and out, the contract's error object thrown as `ParleyError`, one
 * refresh and retry on a 401. When the SDK grows these methods, callers move
 * to it and this file shrinks.
 */
import { ParleyError } from "../../src/index.ts";

/** Where calls get their access token; the session module provides it. */
export interface TokenProvider {
  current(): string | undefined;
  /** A new access token (single-flight), or undefined when the session is over. */
  refresh(): Promise<string | undefined>;
}

let tokens: TokenProvider | undefined;

/** Tells the REST helpers where tokens come from (once signed in). */
export function setTokenProvider(provider: TokenProvider | undefined): void {
  tokens = provider;
}

const TIMEOUT_MS = 15_000;

function toError(status: number, value: unknown, what: string): ParleyError {
  const body = value as { code?: unknown; message?: unknown; retry_after_ms?: unknown } | undefined;
  if (body && typeof body.code === "string" && typeof body.message === "string") {
    const retry = typeof body.retry_after_ms === "number" ? { retryAfterMs: body.retry_after_ms } : undefined;
    return new ParleyError(body.code as ParleyError["code"], body.message, retry);
  }
  return new ParleyError(status === 404 ? "not_found" : "internal", `${what} answered HTTP ${status}.`);
}

export interface CallOptions {
  /** Send the Bearer token (default true). */
  auth?: boolean;
  /** A raw body (an upload) with its own content type. */
  raw?: { bytes: Blob; contentType: string };
  /** Extra request headers (the session module's `X-Parley-Session: cookie`). */
  headers?: Record<string, string>;
}

/** One call to the engine (same origin). Resolves with the parsed JSON (undefined for 204). */
export async function call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  const auth = options.auth ?? true;
  const send = async (token: string | undefined) => {
    const headers: Record<string, string> = { ...options.headers };
    if (auth && token) headers.authorization = `Bearer ${token}`;
    if (options.raw) headers["content-type"] = options.raw.contentType;
    else if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(path, {
      method,
      headers,
      body: options.raw ? options.raw.bytes : body !== undefined ? JSON.stringify(body) : null,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      credentials: "same-origin",
    });
  };
  let res = await send(auth ? tokens?.current() : undefined);
  if (res.status === 401 && auth && tokens) {
    const fresh = await tokens.refresh();
    if (fresh) res = await send(fresh);
  }
  if (res.status === 204) return undefined as T;
  const value: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw toError(res.status, value, `${method} ${path.split("?")[0]}`);
  return value as T;
}

/** The current access token, for requests the helpers above cannot make (an upload with progress). */
export function currentToken(): string | undefined {
  return tokens?.current();
}

/** Whether an error says the route or the thing does not exist (an engine without that feature answers 404). */
export function isNotFound(err: unknown): boolean {
  return err instanceof ParleyError && err.code === "not_found";
}
