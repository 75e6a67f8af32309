/**
 * Structured logs: one JSON object per line on stdout, with the event name
 * and the ids needed to follow a request or a socket (`actor` is
 * `Class:id`, plus `session_id`, `conversation_id`, `request_id`, …).
 *
 * Levels matter for speed, not only for noise: under `wrangler dev` every
 * line crosses the inspector to wrangler's process, and on Cloudflare every
 * line is billed and shipped. Lines that happen per message (an accepted
 * send, a REST send) are `debug`; connects, joins, closes and every error are
 * `info` or above. `LOG_LEVEL` (default `info`) sets the threshold, and a
 * disabled level costs one comparison: no object is built, nothing is
 * serialised.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;
export type Level = "debug" | "info" | "warn" | "error";

const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** `LOG_LEVEL` as a level; anything unknown is `info`. */
export function parseLogLevel(value: string | undefined): Level {
  const v = value?.trim().toLowerCase();
  return v === "debug" || v === "info" || v === "warn" || v === "error" ? v : "info";
}

/** Writes one line, whatever the configured level (callers that know it use a Logger). */
export function log(level: Level, event: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** A log function bound to a threshold and to the fields every line of its owner carries. */
export interface Logger {
  (level: Level, event: string, fields?: LogFields): void;
  /** True when lines of `level` are written: guard the building of costly fields with it. */
  enabled(level: Level): boolean;
}

/** A Logger writing lines at `min` and above, each with `base()` merged in first. */
export function createLogger(min: Level, base: () => LogFields = () => ({})): Logger {
  const threshold = RANK[min];
  const logger = ((level: Level, event: string, fields: LogFields = {}) => {
    if (RANK[level] < threshold) return;
    log(level, event, { ...base(), ...fields });
  }) as Logger;
  logger.enabled = (level: Level) => RANK[level] >= threshold;
  return logger;
}

/** A short description of an unknown thrown value for a log line; never sent to clients. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
