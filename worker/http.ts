import type { Context } from "hono";
import type { z } from "zod";
import { HTTP_STATUS, ParleyError, describeIssue, toParleyError } from "../src/protocol/index.ts";
import { configOf } from "../src/shared/config.ts";
import { createLogger, describeError } from "../src/shared/log.ts";
import type { AppEnv } from "./types.ts";
import { countError } from "./metrics.ts";

/** Validates a JSON body against a contract schema; `bad_request` names the field. */
export async function readJson<S extends z.ZodType>(c: Context<AppEnv>, schema: S): Promise<z.infer<S>> {
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw new ParleyError("bad_request", "The body must be JSON (Content-Type: application/json).");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ParleyError("bad_request", describeIssue(parsed.error.issues));
  return parsed.data;
}

/** Validates the query string against a contract schema. */
export function readQuery<S extends z.ZodType>(c: Context<AppEnv>, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new ParleyError("bad_request", describeIssue(parsed.error.issues));
  return parsed.data;
}

/** Validates a path parameter. */
export function readParam<S extends z.ZodType>(c: Context<AppEnv>, name: string, schema: S, missing: () => ParleyError): z.infer<S> {
  const parsed = schema.safeParse(c.req.param(name));
  if (!parsed.success) throw missing();
  return parsed.data;
}

/** The one error handler: anything thrown becomes the contract's error object. */
export function errorResponse(c: Context<AppEnv>, thrown: unknown): Response {
  const error = toParleyError(thrown);
  const status = HTTP_STATUS[error.code];
  countError(c.env, error.code);
  createLogger(configOf(c.env).logLevel)(error.code === "internal" ? "error" : "warn", "http.error", {
    request_id: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    status,
    code: error.code,
    error: error.code === "internal" ? describeError(thrown) : error.message,
  });
  const headers: Record<string, string> = {};
  if (error.retryAfterMs !== undefined) headers["Retry-After"] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  return c.json(error.toBody(), status as 400, headers);
}
