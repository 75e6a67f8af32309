import type { z } from "zod";
import { ParleyError } from "./errors.ts";
import { CLIENT_FRAME_TYPES, ClientFrame, Rid } from "./frames.ts";
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from "./limits.ts";

export type ParseResult<F = ClientFrame> =
  | { ok: true; frame: F }
  | { ok: false; error: ParleyError; rid?: string };

/** Names the first failing field the way a client author reads it: `data.body: …`. */
export function describeIssue(issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0];
  if (!issue) return "invalid input";
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}

const encoder = new TextEncoder();

/** UTF-8 length without encoding when the answer is obvious. */
export function utf8Length(text: string): number {
  if (text.length * 3 <= MAX_FRAME_BYTES) return text.length; // cannot exceed the limit
  return encoder.encode(text).byteLength;
}

/**
 * Parses one incoming WebSocket message into a frame of `schema`. Checks run
 * in the order a client can act on: kind and size, JSON, `rid`, version,
 * type, then the fields of `data`. The `rid` is recovered whenever it is
 * usable, so the error can be matched to its request. Both sockets (the
 * conversation's and the inbox) parse through here.
 */
export function parseFrame<S extends z.ZodType>(
  raw: string | ArrayBuffer,
  schema: S,
  types: ReadonlySet<string>,
  where = "",
): ParseResult<z.infer<S>> {
  if (typeof raw !== "string") {
    return fail("bad_request", "Binary frames are not accepted; send UTF-8 JSON text.");
  }
  if (raw.length > MAX_FRAME_BYTES || utf8Length(raw) > MAX_FRAME_BYTES) {
    return fail("payload_too_large", `A frame may be at most ${MAX_FRAME_BYTES} bytes.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return fail("bad_request", "The frame is not valid JSON.");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("bad_request", "The frame must be a JSON object {v, type, rid?, data}.");
  }
  const obj = value as Record<string, unknown>;
  let rid: string | undefined;
  if (obj.rid !== undefined) {
    const r = Rid.safeParse(obj.rid);
    if (!r.success) return fail("bad_request", `rid: must be a string of 1–64 characters.`);
    rid = r.data;
  }
  if (obj.v === undefined) return fail("bad_request", `v: required (the protocol version, ${PROTOCOL_VERSION}).`, rid);
  if (obj.v !== PROTOCOL_VERSION) {
    return fail("unsupported_version", `v: this server speaks protocol version ${PROTOCOL_VERSION}.`, rid);
  }
  if (typeof obj.type !== "string" || !types.has(obj.type)) {
    return fail("bad_request", `type: unknown frame type ${JSON.stringify(obj.type ?? null)}${where}.`, rid);
  }
  const parsed = schema.safeParse(obj);
  if (!parsed.success) return fail("bad_request", describeIssue(parsed.error.issues), rid);
  return { ok: true, frame: parsed.data };
}

/** Parses a frame of the conversation socket. */
export function parseClientFrame(raw: string | ArrayBuffer): ParseResult {
  return parseFrame(raw, ClientFrame, CLIENT_FRAME_TYPES);
}

function fail(code: "bad_request" | "unsupported_version" | "payload_too_large", message: string, rid?: string): { ok: false; error: ParleyError; rid?: string } {
  const error = new ParleyError(code, message);
  return rid === undefined ? { ok: false, error } : { ok: false, error, rid };
}
