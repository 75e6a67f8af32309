/**
 * `npm run bench`: starts a real engine — `wrangler dev` on 127.0.0.1 with a
 * fresh state directory and the bench's config, which serves Parley and
 * the floor (test/bench/floor/) side by side — runs the workloads W1–W5
 * against both (compare.ts), or the legacy Parley-only scenarios when
 * BENCH_SCENARIOS names them, prints a table and writes JSON results.
 * Measurement only: nothing here asserts a timing. A scenario that fails
 * is recorded with its error and the run goes on; the exit code is 1 if
 * any failed.
 *
 * Parameters come from BENCH_* environment variables (`npm run bench --
 * --help` lists them; docs/benchmarks.md explains them). To add a
 * workload: an entry in WORKLOADS (config.ts) and in `workloads()`
 * (compare.ts). To add a legacy scenario: a file in scenarios/, an entry in
 * LEGACY (config.ts) and in RUNNERS below.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Engine, ROOT } from "../support/engine.ts";
import { Api } from "./api.ts";
import { type CompareRow, compareWorkload } from "./compare.ts";
import { type BenchConfig, type LegacyName, type ScenarioName, describeConfig, isWorkload, readConfig } from "./config.ts";
import { type BenchContext, type Outcome, type Row, closeAll, openJoined } from "./context.ts";
import { machineInfo, readDebugLog } from "./environment.ts";
import type { SendRate } from "./pacer.ts";
import { type Pinning, affinityOf, pinSelf, planPinning } from "./pin.ts";
import { type GroupSnapshot, cpuByRole, machineBusySeconds, rssByRole, snapshotGroup } from "./procs.ts";
import { profileWindows } from "./profiler.ts";
import { type Results, type ScenarioRecord, renderReport, writeResults } from "./report.ts";
import { catchup } from "./scenarios/catchup.ts";
import { connections } from "./scenarios/connections.ts";
import { fanout } from "./scenarios/fanout.ts";
import { latency } from "./scenarios/latency.ts";
import { rest } from "./scenarios/rest.ts";
import { search } from "./scenarios/search.ts";
import { throughput } from "./scenarios/throughput.ts";
import { round } from "./stats.ts";
import { FloorTarget, ParleyTarget } from "./targets.ts";
import { BENCH_WRANGLER_CONFIG, configDrift } from "./wrangler-config.ts";
import { type WorkloadContext, openEndpoint } from "./workloads/shared.ts";

const RUNNERS: Record<LegacyName, (ctx: BenchContext) => Promise<Outcome>> = { latency, rest, fanout, throughput, connections, search, catchup };

/**
 * The engine's vars for a run, before BENCH_ENGINE_VARS (which may override
 * any of them). The send limit is lifted so that the engine, not its
 * limiter, sets the pace ("COUNT/MILLISECONDS"; an engine that does not read
 * SEND_RATE yet keeps its own limit, which hello.ack announces and the
 * pacers follow). The set-up signs in over a thousand users from one
 * address: the per-address sign-in limit is lifted too, and so are the
 * per-user group budgets (a few owners build every room), and the per-user
 * search budget (the search scenario times hundreds of queries by one
 * member). LOG_LEVEL is the
 * engine's default, said out loud so a run records it.
 */
const ENGINE_VARS = {
  SEND_RATE: "1000000/1000", AUTH_RATE_LIMIT: "1000000/60000", LOG_LEVEL: "info",
  // The set-up builds its rooms from a few owners: the per-user group budgets are lifted too.
  GROUP_CREATE_RATE: "1000000/60000", GROUP_ADD_RATE: "1000000/60000",
  SEARCH_RATE: "1000000/60000",
};

const progress = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<number> {
  if (process.argv.includes("--help")) {
    process.stdout.write(`npm run bench: environment variables\n${describeConfig()}\n`);
    return 0;
  }
  const config = readConfig();
  const startedAt = new Date();
  const profiles: Record<string, unknown> = {};
  const machine = machineInfo();
  progress(`${machine.cpus} CPUs (${machine.cpu_model}), Node ${machine.node}; scenarios: ${config.scenarios.join(", ")}`);
  const drift = configDrift();
  if (drift.length > 0) {
    throw new Error(
      `${BENCH_WRANGLER_CONFIG} is out of step with wrangler.toml; copy these into it:\n  ${drift.join("\n  ")}`,
    );
  }
  const plan = planPinning(config.pin);
  const pinning: Pinning = { requested: config.pin, applied: false, ...(plan.reason ? { reason: plan.reason } : {}) };
  if (plan.bench !== undefined && plan.engine !== undefined) {
    const failed = pinSelf(plan.bench);
    if (failed) pinning.reason = `taskset on the bench failed: ${failed}`;
    else Object.assign(pinning, { applied: true, engine_cpus: plan.engine, bench_cpus: plan.bench });
  }
  const vars = { ...ENGINE_VARS, ...config.engineVars };

  // wrangler appends every line the Worker logs, and every inspector event it
  // relays, to a debug log (by default under ~/.config/.wrangler/logs,
  // several MB per run). Keep it in a temporary directory, measure it, remove it.
  const logDir = mkdtempSync(join(tmpdir(), "parley-bench-log-"));
  const wranglerLog = join(logDir, "wrangler-debug.log");
  process.env.WRANGLER_LOG_PATH = wranglerLog;

  const engineStart = performance.now();
  let engine: Engine;
  try {
    engine = await Engine.start({
      verbose: config.verbose,
      config: BENCH_WRANGLER_CONFIG,
      vars,
      ...(pinning.applied ? { cpus: pinning.engine_cpus } : {}),
    });
  } catch (e) {
    rmSync(logDir, { recursive: true, force: true });
    throw e;
  }
  const startupS = (performance.now() - engineStart) / 1000;
  progress(`engine up at ${engine.url} in ${startupS.toFixed(1)} s (pid ${engine.pid})`);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping the engine`);
      void engine.stop().finally(() => process.exit(130));
    });
  }

  const port = Number(new URL(engine.url).port);
  const snapshot = () => snapshotGroup(engine.pid, port);
  const atStart = snapshot();
  if (pinning.applied) {
    pinning.observed = {
      bench: affinityOf(process.pid),
      engine: atStart.processes.map((p) => ({ pid: p.pid, role: p.role, cpus: affinityOf(p.pid) })),
    };
  }
  const records: Partial<Record<ScenarioName, ScenarioRecord>> = {};
  const rows: Row[] = [];
  const compared: CompareRow[] = [];
  let probe: { send_rate: SendRate; heartbeat_ms: number } | undefined;
  let floorRate: SendRate | undefined;
  let aborted: string | undefined;
  let atEnd: GroupSnapshot;
  let logTail: string[];
  try {
    const api = new Api(engine.url, config.opTimeoutMs);
    const work = (async () => {
      probe = await probeLimits(engine, api, config);
      const targets = { floor: new FloorTarget(engine.wsUrl), parley: new ParleyTarget(api, engine.wsUrl) };
      floorRate = await probeFloor(targets.floor, config);
      progress(`Parley announces a send limit of ${probe.send_rate.messages} per ${probe.send_rate.per_ms} ms, heartbeat ${probe.heartbeat_ms} ms; the floor answers`);
      const restartEngine = async () => {
        const t0 = performance.now();
        await engine.restart();
        return (performance.now() - t0) / 1000;
      };
      const ctx: WorkloadContext = { engine, api, config, rate: probe.send_rate, body: makeBody(config.bodyChars), progress, snapshot, targets, restartEngine };
      if (config.profile) {
        ctx.profileWindow = profileWindows(() => engine.inspectorPort, join(ROOT, config.outDir), startedAt.toISOString().replace(/:/g, "-"), profiles, progress);
      }
      for (const name of config.scenarios) {
        if (aborted) break;
        records[name] = await runScenario(name, ctx, rows, compared);
      }
    })();
    // Once the watchdog has fired, whatever the abandoned work throws is moot.
    work.catch(() => {});
    const limitMs = Math.max(1000, config.timeLimitSeconds * 1000 - startupS * 1000);
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        aborted = `time limit of ${config.timeLimitSeconds} s reached (BENCH_TIME_LIMIT_SECONDS): the running scenario was abandoned, later ones skipped`;
        resolve();
      }, limitMs);
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
    atEnd = snapshot();
    logTail = engine.output.split("\n").filter((l) => l.trim() && !l.startsWith("npm warn")).slice(-40);
    await engine.stop();
  }
  const failed = aborted !== undefined || Object.values(records).some((r) => !r.ok);
  const suspect = failed || Object.values(records).some((r) => r.engine_restarted);
  const outDir = resolve(ROOT, config.outDir);
  // Kept beside the results when something went wrong: it says what wrangler saw.
  const keptLog = suspect ? join(outDir, `${startedAt.toISOString().replace(/:/g, "-")}.wrangler-debug.log`) : undefined;
  const debugLog = readDebugLog(wranglerLog, keptLog);
  rmSync(logDir, { recursive: true, force: true });

  const results: Results = {
    schema: 2,
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    ok: !failed,
    ...(aborted ? { aborted } : {}),
    machine,
    pinning,
    engine: {
      command: `wrangler dev through test/support/engine.ts: 127.0.0.1, free port, fresh --persist-to directory${pinning.applied ? `, under taskset -c ${pinning.engine_cpus}` : ""}`,
      config: BENCH_WRANGLER_CONFIG,
      vars: engine.vars,
      startup_s: round(startupS, 2),
      send_rate: probe?.send_rate,
      floor_send_rate: floorRate,
      heartbeat_ms: probe?.heartbeat_ms,
      processes_at_start: atStart.processes,
      rss_mib_by_role_at_start: rssByRole(atStart),
      rss_mib_by_role_at_end: rssByRole(atEnd),
      log_tail: logTail,
      wrangler_debug_log: debugLog,
    },
    parameters: config,
    ...(config.profile ? { profiles } : {}),
    scenarios: records,
  };
  const file = writeResults(outDir, results);
  process.stdout.write(renderReport(results, rows, compared, file));
  return failed ? 1 : 0;
}

/** Runs one scenario and accounts for the CPU it took: engine (by role), clients, everyone else. */
async function runScenario(name: ScenarioName, ctx: WorkloadContext, rows: Row[], compared: CompareRow[]): Promise<ScenarioRecord> {
  const engineBefore = ctx.snapshot();
  const clientBefore = process.cpuUsage();
  const busyBefore = machineBusySeconds();
  const started = performance.now();
  const finish = (plannedRestarts = 0): Omit<ScenarioRecord, "ok"> => {
    const client = process.cpuUsage(clientBefore);
    const engineAfter = ctx.snapshot();
    const busyAfter = machineBusySeconds();
    const engineCpu = engineAfter.total_cpu_s - engineBefore.total_cpu_s;
    const clientCpu = (client.user + client.system) / 1e6;
    const workerd = (snap: GroupSnapshot) => snap.processes.filter((p) => p.command === "workerd").map((p) => p.pid);
    // A planned restart changes the pids too; the workload's own windows still report a crash inside them.
    const restarted = plannedRestarts === 0 && workerd(engineBefore).join() !== workerd(engineAfter).join();
    return {
      wall_s: round((performance.now() - started) / 1000, 2),
      engine_cpu_s: plannedRestarts > 0 ? undefined : round(engineCpu, 2),
      engine_cpu_s_by_role: cpuByRole(engineBefore, engineAfter),
      client_cpu_s: round(clientCpu, 2),
      other_cpu_s:
        busyBefore === undefined || busyAfter === undefined || plannedRestarts > 0
          ? undefined
          : round(Math.max(0, busyAfter - busyBefore - engineCpu - clientCpu), 2),
      ...(restarted ? { engine_restarted: { before: workerd(engineBefore), after: workerd(engineAfter) } } : {}),
      ...(plannedRestarts > 0 ? { engine_restarts_planned: plannedRestarts } : {}),
    };
  };
  try {
    const outcome = isWorkload(name) ? await compareWorkload(ctx, name) : await RUNNERS[name](ctx);
    rows.push(...outcome.rows);
    compared.push(...(outcome.compared ?? []));
    return { ok: outcome.error === undefined, ...(outcome.error ? { error: outcome.error } : {}), ...finish(outcome.plannedRestarts), result: outcome.result };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    progress(`${name} failed: ${error}`);
    rows.push({ scenario: name, measure: "FAILED", value: error.slice(0, 200) });
    return { ok: false, error, ...finish() };
  }
}

/** Reads the limits the engine announces in `hello.ack`, from one handshake. */
async function probeLimits(engine: Engine, api: Api, config: BenchConfig): Promise<{ send_rate: SendRate; heartbeat_ms: number }> {
  const [a] = await Promise.all([api.login("probe_a"), api.login("probe_b")]);
  const id = await api.direct(a!, "probe_b");
  const socket = await openJoined({ engine, config }, a!, id);
  await closeAll([socket]);
  const ack = socket.helloAck!;
  return { send_rate: ack.limits.send_rate, heartbeat_ms: ack.heartbeat_ms };
}

/** Checks that the floor answers on its path (the engine runs the bench config) and reads what it announces. */
async function probeFloor(floor: FloorTarget, config: BenchConfig): Promise<SendRate> {
  const [room] = await floor.rooms("probe", [[0]]);
  const socket = await openEndpoint(floor.endpoint(room!, 0), config.opTimeoutMs);
  await closeAll([socket]);
  return socket.helloAck!.limits.send_rate;
}

/** A message body of exactly `chars` characters, not only white space. */
function makeBody(chars: number): string {
  const words = "parley benchmark message ";
  return words.repeat(Math.ceil(chars / words.length)).slice(0, chars - 1) + ".";
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[bench] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
