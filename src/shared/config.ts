/**
 * Deployment configuration: the `[vars]` of wrangler.toml (or `--var` on the
 * command line), read once per `env` and checked. A value that is missing or
 * malformed falls back to its default rather than failing a request: a typo
 * in a variable must not take the service down. Every limit a deployment
 * might need to move (a bot's send rate, a load test's, a stricter
 * deployment's) lives here, not as a constant in an actor.
 */
import { DEFAULT_HEARTBEAT_MS, SEND_RATE, SYNC_RATE } from "../protocol/index.ts";
import { parseLogLevel, type Level } from "./log.ts";

/** A token-bucket budget: `messages` per `per_ms` milliseconds (the shape `hello.ack.limits.send_rate` announces). */
export interface Rate {
  messages: number;
  per_ms: number;
}

/** The variables this module reads (all strings, as wrangler passes them). */
export interface ConfigVars {
  HEARTBEAT_MS?: string;
  MAX_GROUP_MEMBERS?: string;
  MAX_SESSIONS?: string;
  AUTH_RATE_LIMIT?: string;
  SEND_RATE?: string;
  SYNC_RATE?: string;
  TYPING_RATE?: string;
  HISTORY_RATE?: string;
  POLL_RATE?: string;
  SEARCH_RATE?: string;
  MAX_SOCKETS_PER_USER?: string;
  MAX_INBOX_SOCKETS?: string;
  LOG_LEVEL?: string;
}

export interface Config {
  /** Client keep-alive interval announced in `hello.ack`; silent for two intervals is dead. */
  heartbeatMs: number;
  /** Largest group. */
  maxGroupMembers: number;
  /** Refresh-token families (signed-in devices) per user. */
  maxSessions: number;
  /** Per-IP budget of the auth endpoints. */
  authRate: Rate;
  /** Per-user send budget in one conversation; announced in `hello.ack.limits.send_rate`. */
  sendRate: Rate;
  /** Per-socket budget of `sync` requests. */
  syncRate: Rate;
  /** Per-socket budget of `typing.start` and `typing.stop` frames; past it they are dropped unanswered. */
  typingRate: Rate;
  /** Per-user budget of REST history reads (`GET …/messages`), across conversations. */
  historyRate: Rate;
  /** Per-user budget of long-polls (`GET …/poll`), across conversations. */
  pollRate: Rate;
  /** Per-user budget of user searches (`GET /v1/users/search`). */
  searchRate: Rate;
  /** Open sockets one user may hold on one conversation. */
  maxSocketsPerUser: number;
  /** Inbox sockets one user may hold. */
  maxInboxSockets: number;
  /** Lowest level written to the log. */
  logLevel: Level;
}

export const DEFAULT_MAX_GROUP_MEMBERS = 1000;
export const DEFAULT_MAX_SESSIONS = 10;
export const DEFAULT_AUTH_RATE: Rate = { messages: 20, per_ms: 60_000 };
/** Typing frames per socket: a polite client sends a start every few seconds while typing, and a stop. */
export const DEFAULT_TYPING_RATE: Rate = { messages: 20, per_ms: 10_000 };
export const DEFAULT_HISTORY_RATE: Rate = { messages: 120, per_ms: 60_000 };
export const DEFAULT_POLL_RATE: Rate = { messages: 120, per_ms: 60_000 };
export const DEFAULT_SEARCH_RATE: Rate = { messages: 60, per_ms: 60_000 };
export const DEFAULT_MAX_SOCKETS_PER_USER = 10;
export const DEFAULT_MAX_INBOX_SOCKETS = 10;

const cache = new WeakMap<object, Config>();

/** The configuration of a deployment, parsed once per `env` object. */
export function configOf(env: ConfigVars): Config {
  let config = cache.get(env);
  if (!config) {
    config = readConfig(env);
    cache.set(env, config);
  }
  return config;
}

export function readConfig(env: ConfigVars): Config {
  return {
    heartbeatMs: positiveInt(env.HEARTBEAT_MS, DEFAULT_HEARTBEAT_MS),
    maxGroupMembers: positiveInt(env.MAX_GROUP_MEMBERS, DEFAULT_MAX_GROUP_MEMBERS),
    maxSessions: positiveInt(env.MAX_SESSIONS, DEFAULT_MAX_SESSIONS),
    authRate: parseRate(env.AUTH_RATE_LIMIT, DEFAULT_AUTH_RATE),
    sendRate: parseRate(env.SEND_RATE, SEND_RATE),
    syncRate: parseRate(env.SYNC_RATE, SYNC_RATE),
    typingRate: parseRate(env.TYPING_RATE, DEFAULT_TYPING_RATE),
    historyRate: parseRate(env.HISTORY_RATE, DEFAULT_HISTORY_RATE),
    pollRate: parseRate(env.POLL_RATE, DEFAULT_POLL_RATE),
    searchRate: parseRate(env.SEARCH_RATE, DEFAULT_SEARCH_RATE),
    maxSocketsPerUser: positiveInt(env.MAX_SOCKETS_PER_USER, DEFAULT_MAX_SOCKETS_PER_USER),
    maxInboxSockets: positiveInt(env.MAX_INBOX_SOCKETS, DEFAULT_MAX_INBOX_SOCKETS),
    logLevel: parseLogLevel(env.LOG_LEVEL),
  };
}

/** Parses `"COUNT/MILLISECONDS"`; anything else (or a zero) is the fallback. */
export function parseRate(value: string | undefined, fallback: Rate): Rate {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value ?? "");
  if (!match) return { ...fallback };
  const messages = Number(match[1]);
  const perMs = Number(match[2]);
  return Number.isSafeInteger(messages) && Number.isSafeInteger(perMs) && messages > 0 && perMs > 0
    ? { messages, per_ms: perMs }
    : { ...fallback };
}

export function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}
