import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, ROOT, type Engine } from "../support/engine.ts";
import { Api } from "./api.ts";
import { readConfig } from "./config.ts";
import { snapshotGroup } from "./procs.ts";
import { throughput } from "./scenarios/throughput.ts";

const port = await freePort();
const child = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-dir=/tmp/wprof", join(ROOT, "node_modules/wrangler/wrangler-dist/cli.js"), "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--persist-to", mkdtempSync(join(tmpdir(), "inv-")), "--show-interactive-dev-session=false", "--log-level", "warn", "--var", "AUTH_SECRET:x", "--var", "DEV_LOGIN:true"], { cwd: ROOT, detached: true, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } });
const url = `http://127.0.0.1:${port}`;
for (;;) { try { if ((await fetch(url + "/healthz")).ok) break; } catch {} await new Promise((r) => setTimeout(r, 200)); }
const engine = { url, wsUrl: url.replace("http", "ws"), pid: child.pid } as unknown as Engine;
const config = { ...readConfig(), throughputSeconds: 8 };
const out = await throughput({ engine, api: new Api(url, 15000), config, rate: { messages: 30, per_ms: 10000 }, body: "x".repeat(100), progress: console.error, snapshot: () => snapshotGroup(child.pid, port) });
console.log(out.rows.map((r) => `${r.measure} ${r.value ?? JSON.stringify(r.summary)}`).join("\n"));
console.log(JSON.stringify(out.result.engine_cpu_s_by_role));
process.kill(child.pid!, "SIGINT");
await new Promise((r) => child.once("exit", r));
process.kill(-child.pid!, "SIGKILL");
