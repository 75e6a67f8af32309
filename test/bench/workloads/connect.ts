/**
 * The connection workload (W3): K sockets join G groups (socket i goes to
 * group i mod G, so every group fills at the same pace), at most
 * BENCH_CONNECT_CONCURRENCY attempts in flight; each attempt is the upgrade,
 * hello and join. Measured: the time until all have joined, and the
 * resident memory of the engine before, with all open, and after all closed.
 *
 * Members: the sockets of a group belong to distinct users, drawn from a
 * pool of P users with a stride of P ÷ G, so member j of group g is user
 * (g·P/G + j) mod P. With the defaults (2000 sockets, 20 groups of 100,
 * P = 200) every user is in 10 of the 20 groups and holds one socket in
 * each: Parley's limit of 10 sockets per user and conversation is never
 * approached, and the set-up signs in 200 users, not 2000. The floor gets
 * the same sockets in the same pattern (it ignores who is who).
 *
 * Each run starts on a freshly started engine (same state directory, same
 * port). Resident memory is what the process has taken from the system,
 * and an allocator keeps freed pages: on a process where 2000 sockets were
 * already open and closed once, the second target would grow into memory
 * the first left behind and look nearly free. Restarting gives both
 * targets the same starting point (and the same cold code).
 *
 * Before the "before" reading each group is touched once (one socket opens,
 * joins and closes), so that both targets start with every room's actor
 * in memory: Parley's groups are created over REST, the floor's rooms would
 * otherwise be created during the measured opening.
 */
import { closeAll, failureKind, range } from "../context.ts";
import { type GroupSnapshot, rssByRole } from "../procs.ts";
import type { BenchSocket } from "../socket.ts";
import { type Summary, Tally, mapLimit, round, sleep, summarize } from "../stats.ts";
import type { Target } from "../targets.ts";
import { type CpuWindow, type Settled, type WorkloadContext, cpuSince, meter, openEndpoint, openEndpoints, settle } from "./shared.ts";

export interface ConnectSpec {
  sockets: number;
  groups: number;
  users: number;
}

interface Rss {
  workerd_kib: number;
  runtime_kib: number;
  proxy_kib: number;
  group_kib: number;
}

export interface ConnectResult {
  /** Seconds the engine took to start again before this run. */
  engine_restart_s: number;
  sockets: number;
  groups: number;
  users: number;
  concurrency: number;
  joined: number;
  failures: Record<string, number>;
  /** From the first attempt to the last conversation.joined. */
  connect_s: number;
  sockets_per_s: number;
  /** Each socket from `new WebSocket` to its conversation.joined, queueing behind the others included. */
  open_to_joined_ms: Summary | undefined;
  /** CPU of the opening, and workerd CPU ms per socket. */
  connect_cpu: CpuWindow;
  workerd_cpu_ms_per_socket: number | undefined;
  settle_before: Settled;
  settle_open: Settled;
  rss_before: Rss;
  rss_open: Rss;
  rss_after_close: Rss;
  /** (open − before) ÷ joined sockets. */
  rss_per_socket_kib: { workerd: number; runtime: number; proxy: number } | undefined;
  closed_by_server: number;
}

/** Waits after the settle before reading memory with all sockets open, and after the close. */
const RSS_OPEN_WAIT_MS = 1000;
const RSS_CLOSED_WAIT_MS = 2000;

export async function runConnect(ctx: WorkloadContext, target: Target, spec: ConnectSpec, label: string): Promise<ConnectResult> {
  const { config } = ctx;
  const groups = Math.min(spec.groups, spec.sockets);
  const perGroup = Math.ceil(spec.sockets / groups);
  const stride = Math.max(1, Math.floor(spec.users / groups));
  const member = (g: number, j: number) => (g * stride + j) % spec.users;
  const restartS = await ctx.restartEngine();
  ctx.progress(`  ${label}: engine restarted in ${restartS.toFixed(1)} s`);
  const ids = await target.rooms(label, range(groups).map((g) => range(perGroup).map((j) => member(g, j))));

  const touch = await openEndpoints(ctx, ids.map((id, g) => target.endpoint(id, member(g, 0))));
  await closeAll(touch);
  const settleBefore = await settle(ctx);
  const before = ctx.snapshot();

  const sockets: BenchSocket[] = [];
  const joinedMs: number[] = [];
  const failures = new Tally();
  const m0 = meter(ctx);
  await ctx.profileWindow?.("start", target.name, label);
  await mapLimit(range(spec.sockets), config.connectConcurrency, async (i) => {
    const g = i % groups;
    const t0 = performance.now();
    try {
      sockets.push(await openEndpoint(target.endpoint(ids[g]!, member(g, Math.floor(i / groups))), config.opTimeoutMs));
      joinedMs.push(performance.now() - t0);
    } catch (e) {
      failures.add(failureKind(e));
    }
  });
  const connectS = (performance.now() - m0.at) / 1000;
  await ctx.profileWindow?.("stop", target.name, label);
  const connectCpu = cpuSince(ctx, m0);
  ctx.progress(`  ${label}: ${sockets.length}/${spec.sockets} joined in ${connectS.toFixed(1)} s`);

  try {
    const settleOpen = await settle(ctx);
    await sleep(RSS_OPEN_WAIT_MS);
    const open = ctx.snapshot();
    const closedByServer = sockets.filter((s) => s.closedWith !== undefined).length;
    await closeAll(sockets);
    await settle(ctx);
    await sleep(RSS_CLOSED_WAIT_MS);
    const after = ctx.snapshot();

    const rss = (snap: GroupSnapshot): Rss => {
      const roles = rssByRole(snap);
      return {
        workerd_kib: snap.workerd_rss_kib,
        runtime_kib: Math.round((roles["workerd-runtime"] ?? 0) * 1024),
        proxy_kib: Math.round((roles["workerd-proxy"] ?? 0) * 1024),
        group_kib: snap.total_rss_kib,
      };
    };
    const [rb, ro] = [rss(before), rss(open)];
    const n = sockets.length;
    return {
      engine_restart_s: round(restartS, 2),
      sockets: spec.sockets,
      groups,
      users: spec.users,
      concurrency: config.connectConcurrency,
      joined: n,
      failures: failures.counts,
      connect_s: round(connectS, 2),
      sockets_per_s: round(n / connectS, 1),
      open_to_joined_ms: summarize(joinedMs),
      connect_cpu: connectCpu,
      workerd_cpu_ms_per_socket: n > 0 ? round((connectCpu.workerd_s * 1000) / n, 3) : undefined,
      settle_before: settleBefore,
      settle_open: settleOpen,
      rss_before: rb,
      rss_open: ro,
      rss_after_close: rss(after),
      rss_per_socket_kib:
        n > 0
          ? {
              workerd: round((ro.workerd_kib - rb.workerd_kib) / n, 1),
              runtime: round((ro.runtime_kib - rb.runtime_kib) / n, 1),
              proxy: round((ro.proxy_kib - rb.proxy_kib) / n, 1),
            }
          : undefined,
      closed_by_server: closedByServer,
    };
  } finally {
    await closeAll(sockets);
  }
}
