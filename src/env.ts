import type { Ceremonies } from "./ceremonies/actor.ts";
import type { Conversation } from "./conversation/actor.ts";
import type { Directory } from "./directory/actor.ts";
import type { Integrations } from "./admin/integrations-actor.ts";
import type { MetricsShard } from "./admin/metrics-actor.ts";
import type { WebhookEndpoint } from "./webhooks/endpoint-actor.ts";
import type { Limiter } from "./limiter/actor.ts";
import type { Reports } from "./reports/actor.ts";
import type { ConfigVars } from "./shared/config.ts";
import type { Topic } from "./topic/actor.ts";
import type { User } from "./user/actor.ts";

/** Bindings of the Worker and its actors (see wrangler.toml); the limits and LOG_LEVEL are in ConfigVars. */
export interface Env extends ConfigVars {
  CONVERSATION: DurableObjectNamespace<Conversation>;
  DIRECTORY: DurableObjectNamespace<Directory>;
  USER: DurableObjectNamespace<User>;
  LIMITER: DurableObjectNamespace<Limiter>;
  REPORTS: DurableObjectNamespace<Reports>;
  /** Sign-in ceremonies under way (passkey challenges, OAuth flows), sharded (src/auth/signed.ts). */
  CEREMONIES: DurableObjectNamespace<Ceremonies>;
  /** Live topics, one actor per topic name (src/topic/). */
  TOPIC: DurableObjectNamespace<Topic>;
  /** Files attached to messages (src/conversation/attachments.ts). */
  FILES: R2Bucket;
  /** HS256 secret for access tokens; `wrangler secret put AUTH_SECRET`. */
  AUTH_SECRET: string;
  /** Server key of the topics backend API (publish, configure); `wrangler secret put TOPICS_API_KEY`, at least 32 bytes. */
  TOPICS_API_KEY?: string;
  /** "true" enables POST /v1/auth/dev-login. Never in production. */
  DEV_LOGIN?: string;
  /** Comma-separated Origins allowed to open sockets; "*" allows any. */
  ALLOWED_ORIGINS?: string;
  /** Bot accounts and webhook endpoints, one actor named "global" (src/admin/integrations-actor.ts; decision 0030). */
  INTEGRATIONS: DurableObjectNamespace<Integrations>;
  /** One webhook dispatcher per endpoint: its queue, delivery log and replay (decision 0031). */
  WEBHOOK: DurableObjectNamespace<WebhookEndpoint>;
  /** The counters operators read locally (`GET /v1/admin/metrics`), in shards (decision 0033). */
  METRICS: DurableObjectNamespace<MetricsShard>;
  /** Workers Analytics Engine dataset of the counters; optional (absent locally unless configured). */
  ANALYTICS?: AnalyticsEngineDataset;
  /** VAPID keys of web push (secrets; docs/integrations.md): base64url P-256 public key (65 bytes) and private scalar (32 bytes). */
  VAPID_PUBLIC_KEY?: string;
  VAPID_PRIVATE_KEY?: string;
  /** VAPID contact: a mailto: or https: URL. */
  VAPID_SUBJECT?: string;
}
