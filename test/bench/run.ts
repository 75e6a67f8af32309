/**
 * `npm run bench`: starts a real engine (wrangler dev on 127.0.0.1 with a
 * fresh state directory), runs the scenarios against it with real WebSocket
 * and HTTP clients, prints a table and writes JSON results. Measurement only:
 * nothing here asserts a timing. A scenario that fails is recorded with its
 * error and the run goes on; the exit code is 1 if any failed.
 *
 * Parameters come from BENCH_* environment variables (`--help` lists them;
 * docs/benchmarks.md explains them). To add a scenario: a file in
 * scenarios/ exporting `(ctx) => Promise<Outcome>`, an entry in SCENARIOS
 * (config.ts) and in RUNNERS below.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { Engine, ROOT } from "../support/engine.ts";
import { Api } from "./api.ts";
import { type BenchConfig, type ScenarioName, describeConfig, readConfig } from "./config.ts";
import { type BenchContext, type Outcome, type Row, closeAll, openJoined } from "./context.ts";
import { cpuByRole, machineBusySeconds, rssByRole, snapshotGroup } from "./procs.ts";
import { renderTable, writeResults } from "./report.ts";
import { connections } from "./scenarios/connections.ts";
import { fanout } from "./scenarios/fanout.ts";
import { latency } from "./scenarios/latency.ts";
import { rest } from "./scenarios/rest.ts";
import { throughput } from "./scenarios/throughput.ts";
import { round } from "./stats.ts";

const RUNNERS: Record<ScenarioName, (ctx: BenchContext) => Promise<Outcome>> = { latency, rest, fanout, throughput, connections };

interface ScenarioRecord {
  ok: boolean;
  error?: string;
  wall_s: number;
  /** CPU seconds of the engine's process group (wrangler, esbuild, workerd) during the scenario, set-up included. */
  engine_cpu_s: number;
  engine_cpu_s_by_role: Record<string, number>;
  /** CPU seconds of this Node process (the clients) during the scenario. */
  client_cpu_s: number;
  /**
   * Busy CPU seconds of the whole machine minus the engine and the clients:
   * other work sharing the cores, which makes every number above worse.
   */
  other_cpu_s: number | undefined;
  result?: Record<string, unknown>;
}

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<number> {
  if (process.argv.includes("--help")) {
    process.stdout.write(`npm run bench — environment variables:\n${describeConfig()}\n`);
    return 0;
  }
  const config = readConfig();
  const startedAt = new Date();
  const machine = machineInfo();
  progress(`${machine.cpus} CPUs (${machine.cpu_model}), Node ${machine.node}; scenarios: ${config.scenarios.join(", ")}`);

  const engineStart = performance.now();
  const engine = await Engine.start({ verbose: config.verbose });
  const engineStartupMs = performance.now() - engineStart;
  progress(`engine up at ${engine.url} in ${(engineStartupMs / 1000).toFixed(1)} s (pid ${engine.pid})`);

  const stop = async (signal: string) => {
    progress(`${signal}: stopping the engine`);
    await engine.stop();
    process.exit(130);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));

  const records: Partial<Record<ScenarioName, ScenarioRecord>> = {};
  const rows: Row[] = [];
  let probe: Awaited<ReturnType<typeof probeLimits>> | undefined;
  let aborted: string | undefined;
  const port = Number(new URL(engine.url).port);
  const snapshot = () => snapshotGroup(engine.pid, port);
  const engineAtStart = snapshot();
  let engineAtEnd = engineAtStart;
  let engineTail: string[] = [];
  try {
    const api = new Api(engine.url, config.opTimeoutMs);
    const work = (async () => {
      probe = await probeLimits(engine, api, config);
      progress(`send rate ${probe.send_rate.messages} per ${probe.send_rate.per_ms} ms, heartbeat ${probe.heartbeat_ms} ms`);
      const ctx: BenchContext = { engine, api, config, rate: probe.send_rate, body: makeBody(config.bodyChars), progress, snapshot };
      for (const name of config.scenarios) {
        if (aborted) break;
        records[name] = await runScenario(name, ctx, rows);
      }
    })();
    // After the watchdog fires, whatever the abandoned work still throws is moot.
    work.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        aborted = `time limit of ${config.timeLimitSeconds} s reached (BENCH_TIME_LIMIT_SECONDS); the running scenario was abandoned, later ones skipped`;
        resolve();
      }, Math.max(1000, config.timeLimitSeconds * 1000 - engineStartupMs));
    });
    try {
      await Promise.race([work, watchdog]);
    } finally {
      clearTimeout(timer);
    }
  } catch (e) {
    aborted = `set-up failed: ${e instanceof Error ? e.message : String(e)}`;
    progress(aborted);
  } finally {
    progress("stopping the engine");
    engineAtEnd = snapshot();
    engineTail = engine.output.split("\n").filter((l) => l.trim() && !l.startsWith("npm warn")).slice(-40);
    await engine.stop();
  }

  const failed = Object.values(records).some((r) => !r.ok) || aborted !== undefined;
  const results = {
    schema: 1,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    ok: !failed,
    ...(aborted ? { aborted } : {}),
    machine,
    engine: {
      command: "wrangler dev (test/support/engine.ts), 127.0.0.1, fresh --persist-to directory",
      startup_s: round(engineStartupMs / 1000, 2),
      send_rate: probe?.send_rate,
      heartbeat_ms: probe?.heartbeat_ms,
      processes_at_start: engineAtStart.processes,
      rss_mib_by_role_at_start: rssByRole(engineAtStart),
      rss_mib_by_role_at_end: rssByRole(engineAtEnd),
      log_tail: engineTail,
    },
    parameters: config,
    scenarios: records,
  };
  const file = writeResults(join(ROOT, config.outDir), startedAt, results);

  const header = [
    `Parley benchmark, ${startedAt.toISOString()}`,
    `machine: ${machine.cpus} × ${machine.cpu_model}, ${machine.memory_gib} GiB, ${machine.platform} ${machine.arch}, Node ${machine.node}; wrangler ${machine.wrangler}, git ${machine.git}`,
    `engine: wrangler dev on 127.0.0.1, up in ${(engineStartupMs / 1000).toFixed(1)} s; client and engine share the machine`,
    probe
      ? `rate limit (hello.ack): ${probe.send_rate.messages} messages per ${probe.send_rate.per_ms} ms per user per conversation; latency and REST senders switch conversation every ${probe.send_rate.messages} sends, fan-out and throughput senders are paced by a mirror of the bucket`
      : "rate limit: unknown (the probe failed)",
    "",
  ];
  const cpuLines = Object.entries(records).map(([name, r]) => {
    const roles = Object.entries(r.engine_cpu_s_by_role).filter(([, v]) => v >= 0.05).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
    const other = r.other_cpu_s === undefined ? "n/a" : r.other_cpu_s.toFixed(1);
    return `  ${name.padEnd(12)} wall ${r.wall_s.toFixed(1).padStart(5)} s  engine cpu ${r.engine_cpu_s.toFixed(1).padStart(5)} s (${roles})  client cpu ${r.client_cpu_s.toFixed(1)} s  other processes ${other} s${r.ok ? "" : `  FAILED: ${r.error}`}`;
  });
  const noisy = Object.entries(records)
    .filter(([, r]) => r.other_cpu_s !== undefined && r.other_cpu_s > 0.1 * r.wall_s * machine.cpus)
    .map(([name, r]) => `${name} (${Math.round((100 * r.other_cpu_s!) / (r.wall_s * machine.cpus))}%)`);
  if (noisy.length > 0) {
    cpuLines.push(`  WARNING: other processes kept the machine busy during ${noisy.join(", ")}: those numbers are pessimistic.`);
  }
  process.stdout.write(
    `${header.join("\n")}${renderTable(rows)}\n\nper scenario (set-up included):\n${cpuLines.join("\n")}\n` +
      `${aborted ? `\nABORTED: ${aborted}\n` : ""}\nresults: ${file}\n`,
  );
  return failed ? 1 : 0;
}

async function runScenario(name: ScenarioName, ctx: BenchContext, rows: Row[]): Promise<ScenarioRecord> {
  const engineBefore = ctx.snapshot();
  const clientBefore = process.cpuUsage();
  const busyBefore = machineBusySeconds();
  const started = performance.now();
  const finish = (): Omit<ScenarioRecord, "ok"> => {
    const client = process.cpuUsage(clientBefore);
    const engineAfter = ctx.snapshot();
    const busyAfter = machineBusySeconds();
    const engineCpu = engineAfter.total_cpu_s - engineBefore.total_cpu_s;
    const clientCpu = (client.user + client.system) / 1e6;
    return {
      wall_s: round((performance.now() - started) / 1000, 2),
      engine_cpu_s: round(engineCpu, 2),
      engine_cpu_s_by_role: cpuByRole(engineBefore, engineAfter),
      client_cpu_s: round(clientCpu, 2),
      other_cpu_s: busyBefore === undefined || busyAfter === undefined ? undefined : round(Math.max(0, busyAfter - busyBefore - engineCpu - clientCpu), 2),
    };
  };
  try {
    const outcome = await RUNNERS[name](ctx);
    rows.push(...outcome.rows);
    return { ok: true, ...finish(), result: outcome.result };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    progress(`${name} failed: ${error}`);
    rows.push({ scenario: name, measure: "FAILED", value: error.slice(0, 200) });
    return { ok: false, error, ...finish() };
  }
}

/** Reads the limits the engine announces, from one handshake. */
async function probeLimits(engine: Engine, api: Api, config: BenchConfig) {
  const [a] = await Promise.all([api.login("probe_a"), api.login("probe_b")]);
  const id = await api.direct(a, "probe_b");
  const ctx = { engine, api, config, rate: { messages: 1, per_ms: 1 }, body: "", progress, snapshot: () => snapshotGroup(undefined) };
  const socket = await openJoined(ctx, a, id);
  await closeAll([socket]);
  const info = socket.helloAck;
  if (!info) throw new Error("probe: no hello.ack");
  return { send_rate: info.limits.send_rate, heartbeat_ms: info.heartbeat_ms };
}

/** A message body of exactly `chars` characters, not only white space. */
function makeBody(chars: number): string {
  const words = "parley benchmark message ";
  return words.repeat(Math.ceil(chars / words.length)).slice(0, chars - 1) + ".";
}

function machineInfo() {
  const list = cpus();
  const version = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(join(ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
    } catch {
      return "unknown";
    }
  };
  let git = "unknown";
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "worker"], { cwd: ROOT, encoding: "utf8" }).trim();
    git = dirty ? `${head} (src/worker modified)` : head;
  } catch {
    // not a checkout
  }
  return {
    cpus: list.length,
    cpu_model: list[0]?.model.trim() ?? "unknown",
    memory_gib: round(totalmem() / 2 ** 30, 1),
    platform: `${platform()} ${release()}`,
    arch: arch(),
    node: process.version,
    load_average_at_start: loadavg().map((l) => round(l, 2)),
    wrangler: version("wrangler"),
    workerd: version("workerd"),
    git,
  };
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[bench] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
