// Builds the push service worker: client/sw/push-sw.ts → client/dist/push-sw.js
// (served at /push-sw.js, so its scope is the whole site). client/build.mjs
// calls it after the web app's build; run alone, it rebuilds just the worker.
// The subscribe helper (subscribe.ts) is imported by the app (Settings →
// "Notifications on this device") and bundled with it.
import { build } from "esbuild";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

export async function buildPushWorker(outdir = join(here, "..", "dist")) {
  await build({
    entryPoints: [join(here, "push-sw.ts")],
    outfile: join(outdir, "push-sw.js"),
    bundle: true,
    format: "iife",
    target: "es2022",
    minify: true,
    sourcemap: false,
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPushWorker();
