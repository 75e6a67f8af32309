/**
 * What a result needs to be read later: the machine, the versions, the
 * revision, and what the local tooling (wrangler's debug log) did meanwhile.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { ROOT } from "../support/engine.ts";
import { round } from "./stats.ts";

export interface MachineInfo {
  cpus: number;
  cpu_model: string;
  memory_gib: number;
  platform: string;
  arch: string;
  node: string;
  load_average_at_start: number[];
  wrangler: string;
  workerd: string;
  /** Short commit of the checkout, marked when src/ or worker/ differ from it. */
  git: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    cpu_model: list[0]?.model.trim() ?? "unknown",
    memory_gib: round(totalmem() / 2 ** 30, 1),
    platform: `${platform()} ${release()}`,
    arch: arch(),
    node: process.version,
    load_average_at_start: loadavg().map((l) => round(l, 2)),
    wrangler: packageVersion("wrangler"),
    workerd: packageVersion("workerd"),
    git: revision(),
  };
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function revision(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "worker", "wrangler.toml"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty ? `${head} + uncommitted changes in src/worker` : head;
  } catch {
    return "unknown (not a git checkout)";
  }
}

export interface DebugLogInfo {
  bytes: number;
  entries: number;
  /** Lines the Worker and the actors wrote with console.log (one JSON object each). */
  worker_log_lines: number;
  /** DevTools events (mostly Runtime.consoleAPICalled) relayed by wrangler's inspector proxy. */
  inspector_events: number;
  /** Where a copy was kept (only when the run failed or the engine restarted). */
  kept_at?: string;
}

/**
 * Reads wrangler's debug log (see WRANGLER_LOG_PATH in run.ts). Every entry
 * is work the local tooling did that a deployed Worker does not: wrangler
 * receives each line the Worker logs, and each console call again as an
 * inspector event, and appends both to this file.
 */
export function readDebugLog(path: string, keepAt?: string): DebugLogInfo | undefined {
  try {
    const text = readFileSync(path, "utf8");
    if (keepAt) {
      mkdirSync(dirname(keepAt), { recursive: true });
      copyFileSync(path, keepAt);
    }
    return {
      ...(keepAt ? { kept_at: keepAt } : {}),
      bytes: statSync(path).size,
      entries: text.match(/^--- \S+ \w+$/gm)?.length ?? 0,
      worker_log_lines: text.match(/^\{"ts":"[^"]+","level":/gm)?.length ?? 0,
      inspector_events: text.match(/^\[InspectorProxyWorker\] RUNTIME INCOMING MESSAGE/gm)?.length ?? 0,
    };
  } catch {
    return undefined;
  }
}
