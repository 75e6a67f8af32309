/** The shape of the JSON results, the printed report, and the results files. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CompareRow } from "./compare.ts";
import type { BenchConfig, ScenarioName } from "./config.ts";
import type { Row } from "./context.ts";
import type { DebugLogInfo, MachineInfo } from "./environment.ts";
import type { SendRate } from "./pacer.ts";
import type { Pinning } from "./pin.ts";
import type { ProcInfo } from "./procs.ts";
import type { Summary } from "./stats.ts";

export interface ScenarioRecord {
  ok: boolean;
  error?: string;
  wall_s: number;
  /**
   * CPU seconds of the engine's process group during the scenario, set-up
   * included. Undefined when the scenario restarted the engine on purpose:
   * the CPU of the processes it ended is not known.
   */
  engine_cpu_s: number | undefined;
  /** The same, by process role (see ProcInfo.role). */
  engine_cpu_s_by_role: Record<string, number>;
  /** CPU seconds of this Node process (the clients) during the scenario. */
  client_cpu_s: number;
  /**
   * Busy CPU seconds of the whole machine minus the engine and the clients:
   * other work sharing the cores, which makes every number of the scenario worse.
   */
  other_cpu_s: number | undefined;
  /**
   * A workerd process of the engine ended or a new one started during the
   * scenario: wrangler dev reloaded the Worker (it watches the source tree)
   * or workerd crashed. Every number of that scenario is suspect.
   */
  engine_restarted?: { before: number[]; after: number[] };
  /** The scenario restarted the engine on purpose this many times (W3: a fresh process per target). */
  engine_restarts_planned?: number;
  /** A legacy scenario's numbers, or a workload's ComparisonRecord (compare.ts). */
  result?: Record<string, unknown>;
}

export interface Results {
  /** 2: the floor comparison (W1–W5), pinning and engine vars were added. */
  schema: 2;
  started_at: string;
  finished_at: string;
  /** False if a scenario failed or the run was cut short. */
  ok: boolean;
  aborted?: string;
  machine: MachineInfo;
  pinning: Pinning;
  engine: {
    command: string;
    /** The wrangler config it ran with (Parley plus the floor). */
    config: string;
    /** Every `--var` it was started with. */
    vars: Record<string, string>;
    startup_s: number;
    /** The send limit Parley announced in hello.ack (the legacy scenarios and the pacers follow it). */
    send_rate: SendRate | undefined;
    /** The floor enforces none; this is what it announces. */
    floor_send_rate: SendRate | undefined;
    heartbeat_ms: number | undefined;
    processes_at_start: ProcInfo[];
    rss_mib_by_role_at_start: Record<string, number>;
    rss_mib_by_role_at_end: Record<string, number>;
    /** Last lines wrangler printed (warnings and errors only: it runs with --log-level warn). */
    log_tail: string[];
    wrangler_debug_log: DebugLogInfo | undefined;
  };
  parameters: BenchConfig;
  /** BENCH_PROFILE=1: per Parley window, the profile file, top functions by self time, and our own code's totals. */
  profiles?: Record<string, unknown>;
  scenarios: Partial<Record<ScenarioName, ScenarioRecord>>;
}

/** Everything printed on stdout at the end of a run. */
export function renderReport(results: Results, rows: readonly Row[], compared: readonly CompareRow[], file: string): string {
  const { machine, engine, pinning } = results;
  const rate = engine.send_rate;
  const vars = Object.entries(engine.vars)
    .filter(([k]) => k !== "AUTH_SECRET")
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  const header = [
    `Parley benchmark, ${results.started_at}`,
    `machine: ${machine.cpus} × ${machine.cpu_model}, ${machine.memory_gib} GiB, ${machine.platform} ${machine.arch}, Node ${machine.node}, load average ${machine.load_average_at_start.join(" ")}`,
    `engine: wrangler ${machine.wrangler} dev on 127.0.0.1 with ${engine.config} (Parley + the floor, git ${machine.git}), up in ${engine.startup_s.toFixed(1)} s`,
    pinning.applied
      ? `pinning: engine on CPU ${pinning.engine_cpus}, bench clients on CPU ${pinning.bench_cpus} (taskset)`
      : `pinning: none (${pinning.reason ?? "not applied"}); engine and clients share the CPUs`,
    `engine vars: ${vars}`,
    rate
      ? `send limit announced in hello.ack: Parley ${rate.messages} per ${rate.per_ms} ms per user per conversation${engine.floor_send_rate ? `; floor none (announces ${engine.floor_send_rate.messages} per ${engine.floor_send_rate.per_ms} ms)` : ""}; every sender is paced by a mirror of what its socket announced`
      : "send limit: unknown (the probe failed)",
  ];

  const lines = Object.entries(results.scenarios).map(([name, r]) => {
    const roles = Object.entries(r.engine_cpu_s_by_role).filter(([, v]) => v >= 0.05).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ");
    const other = r.other_cpu_s === undefined ? "n/a" : `${r.other_cpu_s.toFixed(1)} s`;
    const engineCpu = r.engine_cpu_s === undefined ? "  n/a  " : `${r.engine_cpu_s.toFixed(1).padStart(5)} s`;
    return (
      `  ${name.padEnd(12)} wall ${r.wall_s.toFixed(1).padStart(5)} s  engine cpu ${engineCpu} (${roles})` +
      `  client cpu ${r.client_cpu_s.toFixed(1)} s  other processes ${other}` +
      `${r.engine_restarted ? "  ENGINE RESTARTED (workerd pids changed: a wrangler reload or a crash)" : ""}` +
      `${r.engine_restarts_planned ? `  (engine restarted on purpose ${r.engine_restarts_planned}×, a fresh process per target: CPU by role counts only the last process)` : ""}` +
      `${r.ok ? "" : `  FAILED: ${r.error}`}`
    );
  });
  const noisy = Object.entries(results.scenarios)
    .filter(([, r]) => r.other_cpu_s !== undefined && r.other_cpu_s > 0.1 * r.wall_s * machine.cpus)
    .map(([name, r]) => `${name} ${Math.round((100 * r.other_cpu_s!) / (r.wall_s * machine.cpus))}%`);
  if (noisy.length > 0) {
    lines.push(`  WARNING: other processes used the CPUs meanwhile (${noisy.join(", ")} of the machine): those numbers are pessimistic.`);
  }
  const log = engine.wrangler_debug_log;
  if (log) {
    lines.push(
      `  "wrangler" is local tooling: it took in ${log.worker_log_lines} log lines of the Worker and ${log.inspector_events} inspector events, and wrote ${(log.bytes / 2 ** 20).toFixed(1)} MiB of debug log.`,
    );
  }
  return [
    ...header,
    "",
    ...(compared.length > 0 ? [renderComparison(compared), ""] : []),
    ...(rows.length > 0 ? [renderTable(rows), ""] : []),
    "per scenario (set-up included):",
    ...lines,
    ...(results.aborted ? ["", `ABORTED: ${results.aborted}`] : []),
    "",
    `results: ${file}`,
    "",
  ].join("\n");
}

const C = { workload: 4, measure: 36, value: 11, ratio: 8, target: 18 };

/**
 * The floor comparison: a title line per workload, then one line per
 * measure (floor, Parley, Parley ÷ floor, the issue's target and whether it
 * was met), then notes.
 */
export function renderComparison(rows: readonly CompareRow[]): string {
  const head =
    "".padEnd(C.workload) + "measure".padEnd(C.measure) + "floor".padStart(C.value) + "Parley".padStart(C.value) +
    "P÷F".padStart(C.ratio) + "  " + "target".padEnd(C.target) + "met";
  const lines = [head, "-".repeat(head.length + 4)];
  for (const row of rows) {
    if (row.floor === "" && row.parley === "") {
      lines.push(`${row.workload.padEnd(C.workload)}${row.measure}`);
      continue;
    }
    const cells = [row.floor, row.parley].map((v) => (v.length < C.value ? v.padStart(C.value) : ` ${v}`)).join("");
    const ratio = row.ratio === undefined ? "" : row.ratio.toFixed(2);
    const met = row.met === undefined ? "" : row.met ? "✓" : "✗";
    lines.push(
      `${"".padEnd(C.workload)}${fit(row.measure, C.measure - 1).padEnd(C.measure)}${cells}${ratio.padStart(C.ratio)}  ${(row.target ?? "").padEnd(C.target)}${met}`.trimEnd(),
    );
  }
  return lines.join("\n");
}

const W = { scenario: 12, measure: 40, n: 6, ms: 9 };

/** A fixed-width table: latency rows show n and percentiles in ms, value rows span those columns. */
export function renderTable(rows: readonly Row[]): string {
  const statsWidth = W.n + 4 * W.ms;
  const head =
    "scenario".padEnd(W.scenario) + "measure".padEnd(W.measure) + "n".padStart(W.n) +
    ["p50", "p90", "p99", "max"].map((h) => h.padStart(W.ms)).join("") + "  notes";
  const lines = [head, "-".repeat(head.length + 30)];
  for (const row of rows) {
    const left = row.scenario.padEnd(W.scenario) + fit(row.measure, W.measure - 1).padEnd(W.measure);
    let stats: string;
    if (row.summary) stats = summaryCells(row.summary);
    else if (row.value !== undefined) stats = row.value.length <= statsWidth ? row.value.padStart(statsWidth) : row.value;
    else stats = "(no samples)".padStart(statsWidth);
    lines.push(`${left}${stats}${row.note ? `  ${row.note}` : ""}`);
  }
  return lines.join("\n");
}

function summaryCells(s: Summary): string {
  return String(s.n).padStart(W.n) + [s.p50, s.p90, s.p99, s.max].map((v) => v.toFixed(2).padStart(W.ms)).join("");
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Writes `<dir>/<timestamp>.json` and `<dir>/latest.json`; returns the first path. */
export function writeResults(dir: string, results: Results): string {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  // ISO 8601 with ":" replaced by "-", so the name is valid on every file system.
  const file = join(out, `${results.started_at.replace(/:/g, "-")}.json`);
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(out, "latest.json"), text);
  return file;
}
