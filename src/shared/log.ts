/**
 * Structured logs: one JSON object per line on stdout, with the event name
 * and the ids needed to follow a request or a socket (`actor` is
 * `Class:id`, plus `session_id`, `conversation_id`, `request_id`, …).
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
type Level = "debug" | "info" | "warn" | "error";

export function log(level: Level, event: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** A short description of an unknown thrown value for a log line; never sent to clients. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
