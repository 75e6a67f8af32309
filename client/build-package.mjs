// Builds the SDK as the npm package `@parley/client` into client/lib:
//   lib/index.js, lib/react.js  ESM, bundled by esbuild from src/index.ts and src/react.ts
//                               (the protocol module src/protocol bundled in; zod and react
//                               imported, as the package's dependency and optional peer)
//   lib/types/…                 declarations from `tsc --emitDeclarationOnly`
//   node client/build-package.mjs      (npm run build:sdk)
// The web app is not part of the package: client/build.mjs builds it.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const lib = join(here, "lib");
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const started = Date.now();

rmSync(lib, { recursive: true, force: true });
const result = await build({
  entryPoints: { index: join(here, "src/index.ts"), react: join(here, "src/react.ts") },
  outdir: lib,
  bundle: true,
  splitting: true, // both entries share one copy of the SDK (one ParleyClient class)
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  platform: "neutral", // browsers and Node alike; nothing of either is imported
  target: ["es2022"],
  external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})],
  sourcemap: true,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
});

// Declarations: the SDK's and the protocol module's, with `.ts` import paths rewritten to `.js`.
execFileSync(process.execPath, [join(here, "../node_modules/typescript/bin/tsc"), "-p", join(here, "tsconfig.package.json")], { stdio: "inherit" });

// tsc keeps the source's `.ts` specifiers in declarations; a consumer resolves `.js` ones to the `.d.ts` beside them.
for (const entry of readdirSync(join(lib, "types"), { recursive: true })) {
  const file = join(lib, "types", String(entry));
  if (!file.endsWith(".d.ts")) continue;
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(/((?:from |import\()\s*["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
  if (fixed !== text) writeFileSync(file, fixed);
}

const bytes = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith(".js")).reduce((n, [, o]) => n + o.bytes, 0);
console.log(`sdk: built client/lib (${pkg.name}@${pkg.version}, ${Math.round(bytes / 1024)} KiB of JS) in ${Date.now() - started} ms`);
