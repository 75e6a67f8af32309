/**
 * What the floor-comparison workloads share: their context, opening sockets
 * on a target, waiting for the engine to go quiet, and measuring the CPU a
 * window took.
 */
import { type BenchContext, openAllOrNone } from "../context.ts";
import type { GroupSnapshot } from "../procs.ts";
import { cpuByRole, machineBusySeconds } from "../procs.ts";
import { BenchSocket } from "../socket.ts";
import type { Endpoint, Target, TargetName } from "../targets.ts";
import { round, sleep } from "../stats.ts";

export interface WorkloadContext extends BenchContext {
  targets: Record<TargetName, Target>;
  /**
   * Kills and starts the engine again on the same state and port (W3, so
   * that each target's memory is measured from a fresh process); resolves
   * with the seconds it took.
   */
  restartEngine(): Promise<number>;
  /**
   * Around a measured window: starts and stops a CPU profile of the engine
   * when BENCH_PROFILE is on (only Parley's windows are profiled; the label
   * names the file).
   */
  profileWindow?(phase: "start" | "stop", target: TargetName, label: string): Promise<void>;
}

/** Opens a socket on an endpoint and completes hello and join. */
export async function openEndpoint(endpoint: Endpoint, timeoutMs: number): Promise<BenchSocket> {
  const socket = await BenchSocket.open(endpoint.url, endpoint.token, timeoutMs);
  try {
    await socket.handshake(timeoutMs);
  } catch (e) {
    socket.close();
    throw e;
  }
  return socket;
}

/** Opens and joins one socket per endpoint, in order. All or nothing, as openAll in context.ts. */
export function openEndpoints(ctx: WorkloadContext, endpoints: readonly Endpoint[]): Promise<BenchSocket[]> {
  return openAllOrNone(endpoints, ctx.config.connectConcurrency, (endpoint) => openEndpoint(endpoint, ctx.config.opTimeoutMs));
}

/** Most workerd CPU per SETTLE_STEP_MS that still counts as quiet: 5 % of a core. */
const QUIET_CPU_S = 0.025;
const SETTLE_STEP_MS = 500;

export interface Settled {
  ms: number;
  /** False if the engine was still busy when `BENCH_SETTLE_MS` ran out. */
  quiet: boolean;
}

/**
 * Waits until the engine's workerd processes are idle (at most 5 % of a core
 * over half a second), so that a window does not pay for the work of a
 * set-up: Parley's group creation delivers an outbox and notifications to
 * every member's User actor, its joins broadcast presence, a closed
 * workload's sockets are still being torn down.
 */
export async function settle(ctx: WorkloadContext): Promise<Settled> {
  const started = performance.now();
  let previous = ctx.snapshot();
  while (performance.now() - started < ctx.config.settleMs) {
    await sleep(SETTLE_STEP_MS);
    const now = ctx.snapshot();
    const busy = now.workerd_cpu_s - previous.workerd_cpu_s;
    previous = now;
    if (busy <= QUIET_CPU_S) return { ms: Math.round(performance.now() - started), quiet: true };
  }
  return { ms: Math.round(performance.now() - started), quiet: false };
}

/** The state of the CPU counters at the start of a window. */
export interface Meter {
  at: number;
  engine: GroupSnapshot;
  client: NodeJS.CpuUsage;
  busy: number | undefined;
}

export function meter(ctx: WorkloadContext): Meter {
  return { at: performance.now(), engine: ctx.snapshot(), client: process.cpuUsage(), busy: machineBusySeconds() };
}

export interface CpuWindow {
  seconds: number;
  /** Both workerd processes: the runtime (Worker and actors) and wrangler's proxy, which relays every frame. */
  workerd_s: number;
  runtime_s: number;
  proxy_s: number;
  /** The engine's whole process group: also wrangler's node process, which receives every log line. */
  group_s: number;
  by_role: Record<string, number>;
  /** This process: the clients. */
  client_s: number;
  /** Busy CPU of the machine that was neither the engine nor the clients. */
  other_s: number | undefined;
  /** workerd pids before and after, when they differ (a reload or a crash). */
  engine_restarted?: { before: number[]; after: number[] };
}

export function cpuSince(ctx: WorkloadContext, start: Meter): CpuWindow {
  const engine = ctx.snapshot();
  const client = process.cpuUsage(start.client);
  const busy = machineBusySeconds();
  const byRole = cpuByRole(start.engine, engine);
  const groupS = engine.total_cpu_s - start.engine.total_cpu_s;
  const clientS = (client.user + client.system) / 1e6;
  const workerd = (snap: GroupSnapshot) => snap.processes.filter((p) => p.command === "workerd").map((p) => p.pid);
  const restarted = workerd(start.engine).join() !== workerd(engine).join();
  return {
    seconds: round((performance.now() - start.at) / 1000, 2),
    workerd_s: round(engine.workerd_cpu_s - start.engine.workerd_cpu_s, 2),
    runtime_s: byRole["workerd-runtime"] ?? 0,
    proxy_s: byRole["workerd-proxy"] ?? 0,
    group_s: round(groupS, 2),
    by_role: byRole,
    client_s: round(clientS, 2),
    other_s: busy === undefined || start.busy === undefined ? undefined : round(Math.max(0, busy - start.busy - groupS - clientS), 2),
    ...(restarted ? { engine_restarted: { before: workerd(start.engine), after: workerd(engine) } } : {}),
  };
}

/** CPU milliseconds per 1000 units (deliveries, sockets), or undefined when there were none. */
export const msPer1000 = (cpuS: number, units: number) => (units > 0 ? round((cpuS * 1e6) / units, 1) : undefined);

/** Times the phases of a run, for the progress lines and the results. */
export class Phases {
  readonly record: Record<string, number> = {};
  #last = performance.now();

  constructor(
    readonly ctx: Pick<WorkloadContext, "progress">,
    readonly label: string,
  ) {}

  done(phase: string, detail?: string): void {
    const now = performance.now();
    const s = round((now - this.#last) / 1000, 2);
    this.record[phase] = s;
    this.#last = now;
    this.ctx.progress(`  ${this.label}: ${phase} ${s.toFixed(1)} s${detail ? ` (${detail})` : ""}`);
  }
}
