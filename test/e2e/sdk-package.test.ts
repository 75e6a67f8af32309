/**
 * The SDK as people install it: `client/` is built (client/build-package.mjs)
 * and packed with `npm pack`, the tarball is installed into an empty
 * temporary project — offline, its one dependency (zod) and `ws` (Node 20 has
 * no global WebSocket) given from this repository's node_modules — and a
 * plain Node script there signs in, joins, sends and receives against the
 * real engine. The consumer's TypeScript check of the package's types runs
 * too.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine, ROOT } from "../support/engine.ts";

const run = promisify(execFile);
const NPM_ENV = { ...process.env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };

let engine: Engine;
let dir: string;

beforeAll(async () => {
  engine = await Engine.start();
  dir = mkdtempSync(join(tmpdir(), "parley-sdk-package-"));
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CONSUMER = `
import { ParleyApi, ParleyClient, SDK_VERSION } from "@parley/client";
import WebSocket from "ws";

const baseUrl = process.env.BASE_URL;
const stamp = Date.now().toString(36);
const alice = await ParleyApi.devLogin(baseUrl, "pkg_a_" + stamp);
const bob = await ParleyApi.devLogin(baseUrl, "pkg_b_" + stamp);
const a = new ParleyClient({ baseUrl, WebSocket, token: alice });
const b = new ParleyClient({ baseUrl, WebSocket, token: bob });
const { id } = await a.api.createDirect(bob.user.username);
const received = new Promise((resolve, reject) => {
  const chat = b.conversation(id);
  chat.on("message", (m) => resolve(m));
  chat.on("status", (s) => s === "connected" && a.conversation(id).connect());
  chat.connect();
  setTimeout(() => reject(new Error("nothing received in 20 s")), 20_000);
});
a.conversation(id).send("hello from the package");
const message = await received;
const history = await b.api.history(id);
a.destroy();
b.destroy();
console.log(JSON.stringify({ version: SDK_VERSION, body: message.body, sender: message.sender_id === alice.user.id, history: history.messages.length }));
`;

const TYPED = `
import { ParleyClient, memoryStorage, type Message, type ConnectionStatus } from "@parley/client";
const client = new ParleyClient({ baseUrl: "http://127.0.0.1:1", token: "t", storage: memoryStorage() });
const chat = client.conversation("c_1");
chat.on("message", (m: Message) => m.seq.toFixed());
const status: ConnectionStatus = chat.status;
// @ts-expect-error a message has no such field
chat.on("message", (m) => m.no_such_field);
export { status };
`;

describe("the SDK package", () => {
  it("packs with only its build and README, installs offline into an empty project, and talks to the engine from plain Node", async () => {
    await run(process.execPath, [join(ROOT, "client/build-package.mjs")], { cwd: ROOT });
    const { stdout: packed } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: join(ROOT, "client"), env: NPM_ENV });
    const [info] = JSON.parse(packed) as { filename: string; name: string; version: string; files: { path: string }[] }[];
    expect(info!.name).toBe("@parley/client");
    const files = info!.files.map((f) => f.path);
    expect(files).toContain("lib/index.js");
    expect(files).toContain("lib/react.js");
    expect(files).toContain("lib/types/client/src/index.d.ts");
    expect(files.filter((f) => !f.startsWith("lib/") && f !== "README.md" && f !== "package.json")).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(ROOT, "client/package.json"), "utf8")) as { version: string; dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).toEqual(["zod"]);
    expect(manifest.version.split(".").slice(0, 2).join(".")).toBe("1.2"); // protocol v1.2 (docs/protocol.md §22.1)

    const project = join(dir, "consumer");
    await run("mkdir", ["-p", project]);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({
        name: "sdk-consumer",
        private: true,
        type: "module",
        dependencies: {
          "@parley/client": `file:${join(dir, info!.filename)}`,
          zod: `file:${join(ROOT, "node_modules/zod")}`,
          ws: `file:${join(ROOT, "node_modules/ws")}`,
        },
      }),
    );
    await run("npm", ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: project, env: NPM_ENV });
    writeFileSync(join(project, "consumer.mjs"), CONSUMER);
    const { stdout } = await run(process.execPath, ["consumer.mjs"], { cwd: project, env: { ...process.env, BASE_URL: engine.url }, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split("\n").at(-1)!)).toEqual({ version: manifest.version, body: "hello from the package", sender: true, history: 1 });

    // The main entry works without react (an optional peer): the React entry alone needs it.
    const { stdout: noReact } = await run(process.execPath, ["-e", 'import("@parley/client/react").then(() => console.log("loaded"), (e) => console.log(e.code))'], { cwd: project });
    expect(noReact.trim()).toBe("ERR_MODULE_NOT_FOUND");

    // The types: a consumer's strict TypeScript check against the installed package.
    writeFileSync(join(project, "typed.ts"), TYPED);
    await run(process.execPath, [
      join(ROOT, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict", "--skipLibCheck", "false",
      "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--lib", "es2023,dom", "typed.ts",
    ], { cwd: project }).catch((e: { stdout?: string }) => {
      throw new Error(`the package's types failed a consumer's check:\n${e.stdout ?? String(e)}`);
    });
  }, 240_000);
});
