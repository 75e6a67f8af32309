import type { Principal } from "../src/auth/tokens.ts";
import type { Env } from "../src/env.ts";

/** Hono's environment: bindings, and what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; principal: Principal };
}
