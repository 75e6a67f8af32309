import { app } from "./app.ts";

/** Actor classes must be exported by the Worker's entry module. */
export { Ceremonies } from "../src/ceremonies/actor.ts";
export { Conversation } from "../src/conversation/actor.ts";
export { Directory } from "../src/directory/actor.ts";
export { Limiter } from "../src/limiter/actor.ts";
export { Reports } from "../src/reports/actor.ts";
export { Topic } from "../src/topic/actor.ts";
export { User } from "../src/user/actor.ts";
export { Integrations } from "../src/admin/integrations-actor.ts";
export { MetricsShard } from "../src/admin/metrics-actor.ts";
export { WebhookEndpoint } from "../src/webhooks/endpoint-actor.ts";

export default app satisfies ExportedHandler<AppBindings>;
type AppBindings = import("../src/env.ts").Env;
