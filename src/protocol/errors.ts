import { z } from "zod";

/**
 * The closed set of error codes (PROTOCOL §5). A client can switch on `code`
 * exhaustively; nothing outside this list is ever sent.
 */
export const ErrorCode = z.enum([
  /** The frame or request body is malformed; the message names the field. */
  "bad_request",
  /** `v` is not a protocol version this server speaks. */
  "unsupported_version",
  /** A conversation socket sent something other than `hello` first. */
  "handshake_required",
  /** A conversation request came before `conversation.join`. */
  "not_joined",
  /** Missing, malformed or expired credentials. */
  "unauthorized",
  /** Authenticated, but not allowed: not a member, blocked, bad Origin. */
  "forbidden",
  /** The conversation, user or resource does not exist. */
  "not_found",
  /** A frame or body over its size limit. */
  "payload_too_large",
  /** Too many requests; `retry_after_ms` says when to try again. */
  "rate_limited",
  /** The request contradicts the current state. */
  "conflict",
  /** A fault of the server; the request may be retried. */
  "internal",
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The error object: the `data` of an `error` frame and every failed REST body. */
export const ErrorBody = z.object({
  code: ErrorCode,
  message: z.string(),
  retryable: z.boolean(),
  retry_after_ms: z.number().int().nonnegative().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** HTTP status of each code when it is the answer to a REST call. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unsupported_version: 400,
  handshake_required: 400,
  not_joined: 409,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  payload_too_large: 413,
  rate_limited: 429,
  conflict: 409,
  internal: 500,
};

/** Codes a client may retry unchanged (after `retry_after_ms` if given). */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(["rate_limited", "internal"]);

/**
 * The one error type of Parley. Throw it anywhere; the Worker's error handler
 * and the actors' socket loop turn it into the contract's error object.
 */
export class ParleyError extends Error {
  override readonly name = "ParleyError";
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.retryAfterMs);
  }
}

export function errorBody(code: ErrorCode, message: string, retryAfterMs?: number): ErrorBody {
  const body: ErrorBody = { code, message, retryable: RETRYABLE.has(code) };
  if (retryAfterMs !== undefined) body.retry_after_ms = Math.max(0, Math.ceil(retryAfterMs));
  return body;
}

/**
 * Turns anything thrown into a ParleyError. Unknown faults become `internal`
 * with a generic message: stack traces and internals never reach a client.
 */
export function toParleyError(err: unknown): ParleyError {
  if (err instanceof ParleyError) return err;
  return new ParleyError("internal", "Internal error; please retry.", { cause: err });
}
