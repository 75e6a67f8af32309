// Builds the web app into client/dist (served by the Worker as static assets,
// see [assets] in wrangler.toml): app.js bundled by esbuild from app/main.tsx
// (Preact and its signals, the SDK and the protocol schemas included; JSX
// through Preact's automatic runtime), index.html, styles.css and _headers
// (the Content-Security-Policy of the app) copied, and the push service worker
// built beside them (client/sw/build.mjs → push-sw.js, served at /push-sw.js
// so that its scope is the whole app). Prints the bundle's size.
//   node client/build.mjs
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { buildPushWorker } from "./sw/build.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const app = join(here, "app");
const dist = join(here, "dist");

/**
 * zod's namespace export carries every locale (~250 KiB minified) though
 * only English messages are used; in the browser bundle the locale index
 * exports English alone. If zod moves its files this matches nothing and the
 * bundle is just bigger.
 */
const englishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: join(dirname(args.importer), "../locales/en.js"), namespace: "zod-locales" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-locales" }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

const started = Date.now();
// Files are overwritten in place, never the folder removed: a wrangler
// process or test pool running meanwhile keeps finding its assets directory.
await mkdir(dist, { recursive: true });
const result = await build({
  entryPoints: [join(app, "main.tsx")],
  outfile: join(dist, "app.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome111", "firefox113", "safari16.4"],
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  // JSX of the components through Preact's automatic runtime (no `h` imports).
  jsx: "automatic",
  jsxImportSource: "preact",
  plugins: [englishOnly],
});
// _headers: the Content-Security-Policy and other headers Workers static assets send with these files.
await Promise.all(["index.html", "styles.css", "_headers"].map((f) => copyFile(join(app, f), join(dist, f))));
await buildPushWorker(dist);
const js = await readFile(join(dist, "app.js"));
const css = await readFile(join(dist, "styles.css"));
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `client: built client/dist in ${Date.now() - started} ms — app.js ${kib(js.length)} (gzip ${kib(gzipSync(js).length)}), ` +
    `styles.css ${kib(css.length)} (gzip ${kib(gzipSync(css).length)})`,
);
