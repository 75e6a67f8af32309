import { ParleyError, type ErrorBody } from "../protocol/index.ts";

/**
 * What an actor's RPC method returns. Errors cross the RPC boundary as plain
 * data: a thrown custom error would arrive without its `code`.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(error: ParleyError): Result<T> {
  return { ok: false, error: error.toBody() };
}

/** Unwraps a Result at the caller, rethrowing its error as a ParleyError. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ParleyError(result.error.code, result.error.message, { retryAfterMs: result.error.retry_after_ms });
}
