import type { Conversation } from "./conversation/actor.ts";
import type { Directory } from "./directory/actor.ts";
import type { Limiter } from "./limiter/actor.ts";
import type { Reports } from "./reports/actor.ts";
import type { User } from "./user/actor.ts";

/** Bindings of the Worker and its actors (see wrangler.toml). */
export interface Env {
  CONVERSATION: DurableObjectNamespace<Conversation>;
  DIRECTORY: DurableObjectNamespace<Directory>;
  USER: DurableObjectNamespace<User>;
  LIMITER: DurableObjectNamespace<Limiter>;
  REPORTS: DurableObjectNamespace<Reports>;
  /** HS256 secret for access tokens; `wrangler secret put AUTH_SECRET`. */
  AUTH_SECRET: string;
  /** "true" enables POST /v1/auth/dev-login. Never in production. */
  DEV_LOGIN?: string;
  /** Comma-separated Origins allowed to open sockets; "*" allows any. */
  ALLOWED_ORIGINS?: string;
  /** Heartbeat interval announced to clients, in ms. */
  HEARTBEAT_MS?: string;
  /** Largest group (default 1000). */
  MAX_GROUP_MEMBERS?: string;
  /** Refresh-token families per user (default 10). */
  MAX_SESSIONS?: string;
  /** Per-IP budget of the auth endpoints, "COUNT/MS" (default 20/60000). */
  AUTH_RATE_LIMIT?: string;
}
