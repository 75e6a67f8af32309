/**
 * A test page for the SDK's Chromium tests: `script` (TypeScript, with the
 * SDK importable from "@sdk" and the React bindings from "@sdk/react") is
 * bundled by esbuild and served with a bare HTML page by the SDK proxy
 * (test/e2e/sdk-proxy.ts), which forwards everything else to the engine —
 * so the page and the API share an origin, as in a deployment. Also
 * launches headless Chromium the way every browser test here does.
 *
 * To extend: add page globals in the caller's script, not here.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { ROOT } from "../support/engine.ts";
import { SdkProxy } from "../e2e/sdk-proxy.ts";

export const CHROMIUM = "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`sh scripts/ensure-chromium.sh\` (npm test does) or \`apt-get install -y chromium\`.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  });
}

/** Bundles `script` for the browser and serves it at `/` of a new proxy to `engineUrl`. */
export async function servePage(engineUrl: string, script: string): Promise<SdkProxy> {
  const result = await build({
    stdin: { contents: script, resolveDir: ROOT, loader: "tsx", sourcefile: "sdk-test-page.tsx" },
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    jsx: "automatic",
    alias: { "@sdk/react": join(ROOT, "client/src/react.ts"), "@sdk": join(ROOT, "client/src/index.ts") },
    define: { "process.env.NODE_ENV": '"development"' },
    logLevel: "warning",
  });
  const proxy = await SdkProxy.start(engineUrl);
  proxy.files.set("/", { type: "text/html; charset=utf-8", body: '<!doctype html><meta charset="utf-8"><title>sdk test</title><div id="root"></div><script type="module" src="/page.js"></script>' });
  proxy.files.set("/page.js", { type: "text/javascript", body: result.outputFiles[0]!.contents });
  return proxy;
}
