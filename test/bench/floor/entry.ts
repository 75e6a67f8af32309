/**
 * The Worker entry of the benchmark's engine (`main` of
 * test/bench/floor/wrangler.toml): Parley's own Worker and actors, plus the
 * floor actor on a path Parley does not use. One `wrangler dev`, one runtime,
 * one proxy: the floor and Parley are measured on the same processes with
 * the same clients.
 *
 * `export *` on purpose: whatever actor classes worker/index.ts exports now
 * or later are exported here too, so this entry never lags the shipped one
 * (the bindings in the bench config still have to be copied; run.ts checks
 * that they were).
 */
import parley from "../../../worker/index.ts";
import type { Env } from "../../../src/env.ts";
import type { Floor } from "./floor.ts";

export * from "../../../worker/index.ts";
export { Floor } from "./floor.ts";

interface BenchEnv extends Env {
  FLOOR: DurableObjectNamespace<Floor>;
}

/** `/bench/floor/{room}/ws`: one floor object per room name. */
const FLOOR_SOCKET = /^\/bench\/floor\/([^/]+)\/ws$/;

export default {
  fetch(request, env, ctx) {
    const room = FLOOR_SOCKET.exec(new URL(request.url).pathname)?.[1];
    if (room !== undefined) return env.FLOOR.get(env.FLOOR.idFromName(decodeURIComponent(room))).fetch(request);
    return parley.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<BenchEnv>;
