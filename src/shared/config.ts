/**
 * Deployment configuration: the `[vars]` of wrangler.toml (or `--var` on the
 * command line), read once per `env` and checked. A value that is missing or
 * malformed falls back to its default rather than failing a request: a typo
 * in a variable must not take the service down. Every limit a deployment
 * might need to move (a bot's send rate, a load test's, a stricter
 * deployment's) lives here, not as a constant in an actor.
 */
import {
  DEFAULT_HEARTBEAT_MS,
  MAX_TOPIC_COALESCE_MS,
  MAX_TOPIC_RETENTION_EVENTS,
  MAX_TOPIC_RETENTION_MS,
  MIN_TOPIC_COALESCE_MS,
  MIN_TOPIC_RETENTION_MS,
  SEND_RATE,
  SYNC_BUDGET,
} from "../protocol/index.ts";
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
  REFRESH_RATE_LIMIT?: string;
  REPORT_RATE_LIMIT?: string;
  SEND_RATE?: string;
  SYNC_BUDGET?: string;
  TYPING_RATE?: string;
  HISTORY_RATE?: string;
  POLL_RATE?: string;
  SEARCH_RATE?: string;
  MAX_SOCKETS_PER_USER?: string;
  MAX_INBOX_SOCKETS?: string;
  GROUP_CREATE_RATE?: string;
  GROUP_ADD_RATE?: string;
  PRESENCE_SET_RATE?: string;
  INBOX_SNAPSHOT_MAX?: string;
  LOG_LEVEL?: string;
  MAX_ATTACHMENT_BYTES?: string;
  ATTACHMENT_TYPES?: string;
  PASSKEYS?: string;
  WEBAUTHN_RP_ID?: string;
  WEBAUTHN_RP_NAME?: string;
  WEBAUTHN_ORIGINS?: string;
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  GITHUB_AUTHORIZE_URL?: string;
  GITHUB_TOKEN_URL?: string;
  GITHUB_USER_URL?: string;
  GOOGLE_CLIENT_ID?: string;
  GOOGLE_CLIENT_SECRET?: string;
  GOOGLE_AUTHORIZE_URL?: string;
  GOOGLE_TOKEN_URL?: string;
  GOOGLE_ISSUER?: string;
  PRESENCE_OFFLINE_DELAY_MS?: string;
  TOPIC_COALESCE_MS?: string;
  TOPIC_RETENTION_EVENTS?: string;
  TOPIC_RETENTION_MS?: string;
  TOPIC_MAX_EVENT_BYTES?: string;
  TOPIC_PUBLISH_RATE?: string;
  TOPIC_SUBSCRIBE_RATE?: string;
  OPERATORS?: string;
  BOT_SEND_RATE?: string;
  WEBHOOK_ALLOW_LOOPBACK?: string;
  PUSH_ENDPOINTS?: string;
  INVITE_RATE?: string;
}

export interface Config {
  /** Client keep-alive interval announced in `hello.ack`; silent for two intervals is dead. */
  heartbeatMs: number;
  /** Largest group. */
  maxGroupMembers: number;
  /** Refresh-token families (signed-in devices) per user. */
  maxSessions: number;
  /** Per-address budget of sign-ins (every `/v1/auth/*` route but refresh and logout). */
  authRate: Rate;
  /** Per-session (refresh-token family) budget of `POST /v1/auth/refresh`. */
  refreshRate: Rate;
  /** Per-reporter budget of `POST /v1/reports`. */
  reportRate: Rate;
  /** Per-user send budget in one conversation; announced in `hello.ack.limits.send_rate`. */
  sendRate: Rate;
  /** Per-user, per-conversation budget of replayed messages (joins with a cursor and `sync`), §22.11. */
  syncBudget: Rate;
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
  /** Per-user budget of group creations (one token per group). */
  groupCreateRate: Rate;
  /** Per-user budget of people added to groups, at creation or later (one token per person, at least one per request). */
  groupAddRate: Rate;
  /** Per-user budget of `presence.set` frames, all inbox sockets together. */
  presenceSetRate: Rate;
  /** Most conversations in `inbox.snapshot` (the newest); the rest are paged with `GET /v1/conversations`. */
  inboxSnapshotMax: number;
  /** Lowest level written to the log. */
  logLevel: Level;
  /** Largest upload, in bytes. */
  maxAttachmentBytes: number;
  /** Content types an upload may have. */
  attachmentTypes: ReadonlySet<string>;
  /** Passkeys and OAuth providers (docs/auth.md §6–§8). */
  signIn: SignInConfig;
  /** How long after a user's last inbox socket closed their contacts hear `offline` (a reconnect inside it is no change). */
  presenceOfflineDelayMs: number;
  /** Topics: the default interval a topic gathers events in before one `topic.events` frame per socket. */
  topicCoalesceMs: number;
  /** Topics: events kept by default for a resume (count), and for how long (ms). */
  topicRetentionEvents: number;
  topicRetentionMs: number;
  /** Topics: largest event payload, in UTF-8 bytes of its JSON. */
  topicMaxEventBytes: number;
  /** Topics: per-topic budget of publishes. */
  topicPublishRate: Rate;
  /** Topics: per-user budget of topic sockets opened and catch-up reads, across topics. */
  topicSubscribeRate: Rate;
  /** Operators (docs/protocol.md §22.18): user ids (`u_…`) and usernames (lower case). */
  operators: ReadonlySet<string>;
  /** Per-bot send budget in one conversation (replaces SEND_RATE for bots). */
  botSendRate: Rate;
  /** Bot and webhook URLs may be http://127.0.0.1 or http://localhost (tests, local development). */
  webhookAllowLoopback: boolean;
  /** Hosts a push subscription's endpoint may name (`.suffix` matches subdomains; `http://127.0.0.1` allows loopback over http). */
  pushEndpoints: readonly string[];
  /** Per-user and per-address budget of invite previews and joins (a wrong code costs one too). */
  inviteRate: Rate;
}

export const DEFAULT_MAX_GROUP_MEMBERS = 1000;
export const DEFAULT_MAX_SESSIONS = 10;
export const DEFAULT_AUTH_RATE: Rate = { messages: 20, per_ms: 60_000 };
export const DEFAULT_REFRESH_RATE: Rate = { messages: 10, per_ms: 60_000 };
export const DEFAULT_REPORT_RATE: Rate = { messages: 10, per_ms: 3_600_000 };
/** Typing frames per socket: a polite client sends a start every few seconds while typing, and a stop. */
export const DEFAULT_TYPING_RATE: Rate = { messages: 20, per_ms: 10_000 };
export const DEFAULT_HISTORY_RATE: Rate = { messages: 120, per_ms: 60_000 };
export const DEFAULT_POLL_RATE: Rate = { messages: 120, per_ms: 60_000 };
export const DEFAULT_SEARCH_RATE: Rate = { messages: 60, per_ms: 60_000 };
export const DEFAULT_MAX_SOCKETS_PER_USER = 10;
export const DEFAULT_MAX_INBOX_SOCKETS = 10;
export const DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const DEFAULT_ATTACHMENT_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain", "application/zip"];
export const DEFAULT_GROUP_CREATE_RATE: Rate = { messages: 20, per_ms: 600_000 };
export const DEFAULT_GROUP_ADD_RATE: Rate = { messages: 1000, per_ms: 3_600_000 };
export const DEFAULT_PRESENCE_SET_RATE: Rate = { messages: 10, per_ms: 10_000 };
export const DEFAULT_INBOX_SNAPSHOT_MAX = 50;
export const DEFAULT_PRESENCE_OFFLINE_DELAY_MS = 10_000;
/** Longest offline delay accepted (a user is shown online this long after they left). */
export const MAX_PRESENCE_OFFLINE_DELAY_MS = 300_000;
export const DEFAULT_TOPIC_COALESCE_MS = 1000;
export const DEFAULT_TOPIC_RETENTION_EVENTS = 1000;
export const DEFAULT_TOPIC_RETENTION_MS = 86_400_000;
export const DEFAULT_TOPIC_MAX_EVENT_BYTES = 16_384;
/** The REST body limit (64 KiB) less room for nothing else: a payload is the whole body. */
export const MAX_TOPIC_EVENT_BYTES = 65_536;
export const DEFAULT_TOPIC_PUBLISH_RATE: Rate = { messages: 100, per_ms: 1_000 };
export const DEFAULT_TOPIC_SUBSCRIBE_RATE: Rate = { messages: 60, per_ms: 60_000 };
export const DEFAULT_BOT_SEND_RATE: Rate = { messages: 60, per_ms: 10_000 };
export const DEFAULT_INVITE_RATE: Rate = { messages: 20, per_ms: 600_000 };
/** The push services of the browsers Parley's web app runs in (Chrome, Firefox, Safari, Edge). */
export const DEFAULT_PUSH_ENDPOINTS = ["fcm.googleapis.com", ".push.services.mozilla.com", ".push.apple.com", ".notify.windows.com"];

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
    refreshRate: parseRate(env.REFRESH_RATE_LIMIT, DEFAULT_REFRESH_RATE),
    reportRate: parseRate(env.REPORT_RATE_LIMIT, DEFAULT_REPORT_RATE),
    sendRate: parseRate(env.SEND_RATE, SEND_RATE),
    syncBudget: parseRate(env.SYNC_BUDGET, SYNC_BUDGET),
    typingRate: parseRate(env.TYPING_RATE, DEFAULT_TYPING_RATE),
    historyRate: parseRate(env.HISTORY_RATE, DEFAULT_HISTORY_RATE),
    pollRate: parseRate(env.POLL_RATE, DEFAULT_POLL_RATE),
    searchRate: parseRate(env.SEARCH_RATE, DEFAULT_SEARCH_RATE),
    maxSocketsPerUser: positiveInt(env.MAX_SOCKETS_PER_USER, DEFAULT_MAX_SOCKETS_PER_USER),
    maxInboxSockets: positiveInt(env.MAX_INBOX_SOCKETS, DEFAULT_MAX_INBOX_SOCKETS),
    groupCreateRate: parseRate(env.GROUP_CREATE_RATE, DEFAULT_GROUP_CREATE_RATE),
    groupAddRate: parseRate(env.GROUP_ADD_RATE, DEFAULT_GROUP_ADD_RATE),
    presenceSetRate: parseRate(env.PRESENCE_SET_RATE, DEFAULT_PRESENCE_SET_RATE),
    inboxSnapshotMax: positiveInt(env.INBOX_SNAPSHOT_MAX, DEFAULT_INBOX_SNAPSHOT_MAX),
    logLevel: parseLogLevel(env.LOG_LEVEL),
    maxAttachmentBytes: positiveInt(env.MAX_ATTACHMENT_BYTES, DEFAULT_MAX_ATTACHMENT_BYTES),
    attachmentTypes: parseTypes(env.ATTACHMENT_TYPES),
    signIn: readSignIn(env),
    presenceOfflineDelayMs: bounded(env.PRESENCE_OFFLINE_DELAY_MS, DEFAULT_PRESENCE_OFFLINE_DELAY_MS, 1, MAX_PRESENCE_OFFLINE_DELAY_MS),
    topicCoalesceMs: bounded(env.TOPIC_COALESCE_MS, DEFAULT_TOPIC_COALESCE_MS, MIN_TOPIC_COALESCE_MS, MAX_TOPIC_COALESCE_MS),
    topicRetentionEvents: bounded(env.TOPIC_RETENTION_EVENTS, DEFAULT_TOPIC_RETENTION_EVENTS, 1, MAX_TOPIC_RETENTION_EVENTS),
    topicRetentionMs: bounded(env.TOPIC_RETENTION_MS, DEFAULT_TOPIC_RETENTION_MS, MIN_TOPIC_RETENTION_MS, MAX_TOPIC_RETENTION_MS),
    topicMaxEventBytes: bounded(env.TOPIC_MAX_EVENT_BYTES, DEFAULT_TOPIC_MAX_EVENT_BYTES, 1, MAX_TOPIC_EVENT_BYTES),
    topicPublishRate: parseRate(env.TOPIC_PUBLISH_RATE, DEFAULT_TOPIC_PUBLISH_RATE),
    topicSubscribeRate: parseRate(env.TOPIC_SUBSCRIBE_RATE, DEFAULT_TOPIC_SUBSCRIBE_RATE),
    operators: parseOperators(env.OPERATORS),
    botSendRate: parseRate(env.BOT_SEND_RATE, DEFAULT_BOT_SEND_RATE),
    webhookAllowLoopback: env.WEBHOOK_ALLOW_LOOPBACK === "true",
    pushEndpoints: parsePushEndpoints(env.PUSH_ENDPOINTS),
    inviteRate: parseRate(env.INVITE_RATE, DEFAULT_INVITE_RATE),
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

/** A positive integer within [min, max]; outside it, or malformed, the fallback. */
export function bounded(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = positiveInt(value, fallback);
  return n >= min && n <= max ? n : fallback;
}

/** A comma-separated list of content types (lower case, no parameters); empty or malformed entries are left out. */
export function parseTypes(value: string | undefined): ReadonlySet<string> {
  const types = (value ?? "").split(",").map((t) => t.trim().toLowerCase()).filter((t) => /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(t));
  return new Set(types.length > 0 ? types : DEFAULT_ATTACHMENT_TYPES);
}

// ---------------------------------------------------------------------------
// Sign-in: passkeys and OAuth providers (protocol §22.10)
// ---------------------------------------------------------------------------

/** One OAuth provider's settings; present only when its client id and secret are both set. */
export interface OAuthProviderConfig {
  clientId: string;
  clientSecret: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** GitHub: the user endpoint. */
  userUrl?: string;
  /** Google: the issuer an ID token must name. */
  issuer?: string;
}

export interface SignInConfig {
  passkeys: boolean;
  /** WebAuthn RP ID; undefined: the host name of the request. */
  rpId: string | undefined;
  rpName: string;
  /** Origins a WebAuthn response may come from; empty: the request's own origin only. */
  origins: readonly string[];
  github: OAuthProviderConfig | undefined;
  google: OAuthProviderConfig | undefined;
}

export const DEFAULT_RP_NAME = "Parley";
export const GITHUB_DEFAULTS = {
  authorizeUrl: "https://github.com/login/oauth/authorize",
  tokenUrl: "https://github.com/login/oauth/access_token",
  userUrl: "https://api.github.com/user",
} as const;
export const GOOGLE_DEFAULTS = {
  authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
  tokenUrl: "https://oauth2.googleapis.com/token",
  issuer: "https://accounts.google.com",
} as const;

export function readSignIn(env: ConfigVars): SignInConfig {
  const rpId = env.WEBAUTHN_RP_ID?.trim().toLowerCase();
  return {
    passkeys: env.PASSKEYS?.trim().toLowerCase() !== "false",
    rpId: rpId && /^[a-z0-9.-]+$/.test(rpId) ? rpId : undefined,
    rpName: env.WEBAUTHN_RP_NAME?.trim() || DEFAULT_RP_NAME,
    origins: parseOrigins(env.WEBAUTHN_ORIGINS),
    github: provider(env.GITHUB_CLIENT_ID, env.GITHUB_CLIENT_SECRET, {
      authorizeUrl: httpUrl(env.GITHUB_AUTHORIZE_URL, GITHUB_DEFAULTS.authorizeUrl),
      tokenUrl: httpUrl(env.GITHUB_TOKEN_URL, GITHUB_DEFAULTS.tokenUrl),
      userUrl: httpUrl(env.GITHUB_USER_URL, GITHUB_DEFAULTS.userUrl),
    }),
    google: provider(env.GOOGLE_CLIENT_ID, env.GOOGLE_CLIENT_SECRET, {
      authorizeUrl: httpUrl(env.GOOGLE_AUTHORIZE_URL, GOOGLE_DEFAULTS.authorizeUrl),
      tokenUrl: httpUrl(env.GOOGLE_TOKEN_URL, GOOGLE_DEFAULTS.tokenUrl),
      issuer: env.GOOGLE_ISSUER?.trim() || GOOGLE_DEFAULTS.issuer,
    }),
  };
}

function provider(id: string | undefined, secret: string | undefined, urls: Omit<OAuthProviderConfig, "clientId" | "clientSecret">): OAuthProviderConfig | undefined {
  const clientId = id?.trim();
  const clientSecret = secret?.trim();
  return clientId && clientSecret ? { clientId, clientSecret, ...urls } : undefined;
}

/** An http(s) URL without credentials, else the fallback (a typo must not send people elsewhere). */
export function httpUrl(value: string | undefined, fallback: string): string {
  const text = value?.trim();
  if (!text) return fallback;
  try {
    const url = new URL(text);
    return (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password ? url.toString() : fallback;
  } catch {
    return fallback;
  }
}

/** A comma-separated list of origins (`scheme://host[:port]`); anything else is left out. */
export function parseOrigins(value: string | undefined): string[] {
  const out: string[] = [];
  for (const item of (value ?? "").split(",")) {
    try {
      const url = new URL(item.trim());
      if ((url.protocol === "https:" || url.protocol === "http:") && url.origin === item.trim().replace(/\/$/, "")) out.push(url.origin);
    } catch {
      // not an origin: left out
    }
  }
  return out;
}

/** `OPERATORS`: comma-separated user ids (`u_…`, kept as written) and usernames (lower-cased); blanks dropped. */
export function parseOperators(value: string | undefined): ReadonlySet<string> {
  return new Set((value ?? "").split(",").map((t) => t.trim()).filter(Boolean).map((t) => (t.startsWith("u_") ? t : t.toLowerCase())));
}

/** `PUSH_ENDPOINTS`: comma-separated host names, `.suffix` entries, or `http://127.0.0.1` / `http://localhost`; empty means the default list. */
export function parsePushEndpoints(value: string | undefined): readonly string[] {
  const entries = (value ?? "").split(",").map((t) => t.trim().toLowerCase()).filter((t) => /^(\.?[a-z0-9-]+(\.[a-z0-9-]+)*|http:\/\/(127\.0\.0\.1|localhost))$/.test(t));
  return entries.length > 0 ? entries : DEFAULT_PUSH_ENDPOINTS;
}
