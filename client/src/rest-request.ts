/**
 * The plumbing under `ParleyApi` (./rest.ts): one REST call with its token,
 * its timeout and its answer checked against the contract's schema, the
 * mapping of an error answer to `ParleyError`, and one retry with a new
 * token after a 401. Nothing here is exported from the package.
 */
import type { z } from "zod";
import { ErrorBody, ParleyError, describeIssue } from "../../src/protocol/index.ts";
import type { TokenSource } from "./auth.ts";
import type { Timing } from "./timing.ts";

interface RequestOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  token?: string;
  /** `Bearer` unless said (`Bot` for a bot's token). */
  scheme?: "Bearer" | "Bot";
  /** Aborts the request early (a long-poll that is no longer wanted). */
  signal?: AbortSignal;
}

/** The answer of a route that answers `204 No Content`. */
export const NO_CONTENT = { safeParse: (value: unknown) => ({ success: true as const, data: value as undefined }) } as unknown as z.ZodType<undefined>;

/**
 * One REST call, its answer checked against the contract's schema. A failure
 * the server explains is thrown as the contract's `ParleyError` (with its
 * `code` and `retryAfterMs`); a network failure is thrown as `fetch` threw it.
 */
export async function requestJson<S extends z.ZodType>(
  url: string,
  method: string,
  body: unknown,
  schema: S,
  options: RequestOptions,
): Promise<z.infer<S>> {
  // A file goes as it is, with its own content type; anything else as JSON.
  const raw = body instanceof RawBody ? body : undefined;
  const res = await options.fetch(url, {
    method,
    headers: {
      ...(options.token !== undefined ? { authorization: `${options.scheme ?? "Bearer"} ${options.token}` } : {}),
      ...(raw ? { "content-type": raw.contentType } : body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(raw ? { body: raw.bytes } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs),
  });
  const value: unknown = res.status === 204 ? undefined : await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = ErrorBody.safeParse(value);
    if (error.success) {
      throw new ParleyError(error.data.code, error.data.message, error.data.retry_after_ms !== undefined ? { retryAfterMs: error.data.retry_after_ms } : undefined);
    }
    throw new ParleyError("internal", `${method} ${url} answered HTTP ${res.status} without an error object.`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ParleyError("internal", `${method} ${url} answered outside the contract (${describeIssue(parsed.error.issues)}).`);
  }
  return parsed.data;
}

/** A request body sent as bytes with its own content type (an upload), not as JSON. */
export class RawBody {
  readonly bytes: Blob | ArrayBuffer;
  constructor(
    bytes: Blob | ArrayBuffer | Uint8Array,
    readonly contentType: string,
  ) {
    // A view is copied to its own ArrayBuffer: fetch takes a buffer, not any view of one.
    this.bytes = bytes instanceof Uint8Array ? bytes.slice().buffer : bytes;
  }
}

/** The global `fetch`, called unbound: a browser refuses `window.fetch` called as another object's method. */
export const defaultFetch: typeof fetch = (input, init) => globalThis.fetch(input, init);

export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${path}`;
}

/** One authenticated call: `ParleyApi`'s methods, and the per-concern modules beside it, go through it. */
export type RestCall = <S extends z.ZodType>(method: string, path: string, body: unknown, schema: S, extra?: { timeoutMs?: number; signal?: AbortSignal }) => Promise<z.infer<S>>;

/**
 * The authenticated side of the REST plumbing: the base URL, the token
 * source, the fetch and the timing of one `ParleyApi`. A call answered 401
 * gets one new token (single-flight, through the token source) and is tried
 * once more.
 */
export class RestTransport {
  readonly #baseUrl: string;
  readonly #tokens: TokenSource;
  readonly #fetch: typeof fetch;
  readonly timing: Timing;
  /** The authorization scheme: `Bearer` (access tokens), or `Bot` for `forBot`. */
  readonly #scheme: "Bearer" | "Bot";

  constructor(baseUrl: string, tokens: TokenSource, fetchImpl: typeof fetch, timing: Timing, scheme: "Bearer" | "Bot") {
    this.#baseUrl = baseUrl;
    this.#tokens = tokens;
    this.#fetch = fetchImpl;
    this.timing = timing;
    this.#scheme = scheme;
  }

  /** The current token (may refresh first, as the token source decides). */
  token(): Promise<string> {
    return this.#tokens.current();
  }

  readonly call: RestCall = async (method, path, body, schema, extra = {}) => {
    const url = joinUrl(this.#baseUrl, path);
    const options = { fetch: this.#fetch, scheme: this.#scheme, timeoutMs: extra.timeoutMs ?? this.timing.REQUEST_TIMEOUT_MS, ...(extra.signal ? { signal: extra.signal } : {}) };
    try {
      return await requestJson(url, method, body, schema, { ...options, token: await this.#tokens.current() });
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== "unauthorized") throw err;
      const refreshed = await this.#tokens.refresh();
      if (!refreshed.ok) throw err;
      return await requestJson(url, method, body, schema, { ...options, token: refreshed.token });
    }
  };

  /** A GET answered with bytes, not JSON (a file's download), with the same one retry after a 401. */
  async download(path: string): Promise<Blob> {
    const url = joinUrl(this.#baseUrl, path);
    const get = async (token: string | undefined) =>
      this.#fetch(url, { headers: token !== undefined ? { authorization: `${this.#scheme} ${token}` } : {}, signal: AbortSignal.timeout(this.timing.REQUEST_TIMEOUT_MS) });
    let res = await get(await this.#tokens.current());
    if (res.status === 401) {
      const refreshed = await this.#tokens.refresh();
      if (refreshed.ok) res = await get(refreshed.token);
    }
    if (!res.ok) {
      const error = ErrorBody.safeParse(await res.json().catch(() => undefined));
      throw new ParleyError(error.success ? error.data.code : "internal", error.success ? error.data.message : `HTTP ${res.status}`);
    }
    return res.blob();
  }
}

export function conversationPath(id: string): string {
  return `/v1/conversations/${encodeURIComponent(id)}`;
}

/** A query string of the defined values, in order. */
export function queryString(values: Record<string, string | number | boolean | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) qs.set(k, String(v));
  return qs.toString();
}

export function messagePath(id: string, seq: number): string {
  return `/v1/conversations/${encodeURIComponent(id)}/messages/${seq}`;
}
