/**
 * CPU pinning: the engine on one core, the load client on another, so that
 * neither steals the other's time slices and the engine's CPU time is its
 * own (the "engine pinned to one core and the load client to the
 * other"). The engine is started under `taskset -c` (Engine's `cpus`
 * option) and every process of its group inherits that; this process pins
 * all its threads with `taskset -a -p`, and threads it starts later inherit
 * it. Linux only; anywhere else, or with fewer than two CPUs allowed, or
 * with BENCH_PIN=0, nothing is pinned and the results say why.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { TASKSET } from "../support/engine.ts";

export interface PinPlan {
  /** CPU list for the engine (taskset -c), when pinning. */
  engine?: string;
  /** CPU list for this process, when pinning. */
  bench?: string;
  /** Why nothing is pinned. */
  reason?: string;
}

export interface Pinning {
  requested: boolean;
  applied: boolean;
  reason?: string;
  engine_cpus?: string;
  bench_cpus?: string;
  /** Cpus_allowed_list read back from /proc after the engine started: this process and each engine process. */
  observed?: { bench: string | undefined; engine: Array<{ pid: number; role: string; cpus: string | undefined }> };
}

export function planPinning(requested: boolean): PinPlan {
  if (!requested) return { reason: "BENCH_PIN=0" };
  if (process.platform !== "linux") return { reason: `not Linux (${process.platform})` };
  if (!existsSync(TASKSET)) return { reason: `${TASKSET} not found` };
  const allowed = parseCpuList(affinityOf(process.pid) ?? "");
  if (allowed.length < 2) return { reason: `only ${allowed.length} CPU allowed to this process` };
  return { engine: String(allowed[0]), bench: String(allowed[1]) };
}

/** Pins every thread of this process to `cpus`; returns an error message if taskset failed. */
export function pinSelf(cpus: string): string | undefined {
  try {
    execFileSync(TASKSET, ["-a", "-cp", cpus, String(process.pid)], { stdio: "ignore" });
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The CPUs a process may run on, as the kernel lists them ("0-1", "1"). */
export function affinityOf(pid: number): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

/** "0-2,5" → [0, 1, 2, 5]. */
function parseCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(",").filter(Boolean)) {
    const [a, b] = part.split("-").map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) cpus.push(c);
  }
  return cpus;
}
