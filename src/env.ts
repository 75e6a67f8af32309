import type { Conversation } from "./conversation/actor.ts";
import type { Directory } from "./directory/actor.ts";

/** Bindings of the Worker and its actors (see wrangler.toml). */
export interface Env {
  CONVERSATION: DurableObjectNamespace<Conversation>;
  DIRECTORY: DurableObjectNamespace<Directory>;
  /** HS256 secret for access tokens; `wrangler secret put AUTH_SECRET`. */
  AUTH_SECRET: string;
  /** "true" enables POST /v1/auth/dev-login. Never in production. */
  DEV_LOGIN?: string;
  /** Comma-separated Origins allowed to open sockets; "*" allows any. */
  ALLOWED_ORIGINS?: string;
  /** Heartbeat interval announced to clients, in ms. */
  HEARTBEAT_MS?: string;
}
