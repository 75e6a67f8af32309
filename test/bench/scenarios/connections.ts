/**
 * Scenario 4: connections. Opens K sockets that each upgrade, handshake and
 * join, a bounded number at a time, and reads the engine's resident memory
 * before, with all of them open, and after they are closed. Sockets are
 * spread over groups of G members drawn from a pool of P users, so a user
 * holds about K/P sockets, each in a different conversation. At the end every
 * socket is asked a JSON `ping` (which wakes its actor) to show it is alive.
 */
import { type BenchContext, type Outcome, closeAll, failureKind, loginAll, openJoined, range } from "../context.ts";
import { type GroupSnapshot, rssByRole } from "../procs.ts";
import type { BenchSocket } from "../socket.ts";
import { Tally, mapLimit, round, sleep, summarize } from "../stats.ts";

export async function connections(ctx: BenchContext): Promise<Outcome> {
  const { config } = ctx;
  const k = config.connections;
  const g = Math.min(config.connectionsPerConversation, k);
  const conversations = Math.ceil(k / g);
  const poolSize = Math.min(config.connectionUsers, conversations * g);

  ctx.progress(`connections: ${poolSize} users, ${conversations} groups of ${g}`);
  const users = await loginAll(ctx, range(poolSize).map((i) => `conn_u${i}`));
  const memberIndex = (conv: number, j: number) => (conv * g + j) % poolSize;
  const ids = await mapLimit(range(conversations), 8, (conv) =>
    ctx.api.group(users[memberIndex(conv, 0)]!, `bench connections ${conv}`, range(g).slice(1).map((j) => users[memberIndex(conv, j)]!.username)),
  );

  await sleep(1000);
  const before = ctx.snapshot();
  ctx.progress(`connections: opening ${k} sockets, ${config.connectConcurrency} at a time`);
  const sockets: BenchSocket[] = [];
  const joinedMs: number[] = [];
  const failures = new Tally();
  const started = performance.now();
  await mapLimit(range(k), config.connectConcurrency, async (i) => {
    const conv = Math.floor(i / g);
    const user = users[memberIndex(conv, i % g)]!;
    const t0 = performance.now();
    try {
      sockets.push(await openJoined(ctx, user, ids[conv]!));
      joinedMs.push(performance.now() - t0);
    } catch (e) {
      failures.add(failureKind(e));
    }
  });
  const openAllS = (performance.now() - started) / 1000;

  try {
    await sleep(1000);
    const open = ctx.snapshot();
    ctx.progress(`connections: pinging ${sockets.length} sockets`);
    const pingMs: number[] = [];
    const pingFailures = new Tally();
    await mapLimit(sockets, 100, async (socket) => {
      const t0 = performance.now();
      try {
        const { at } = await socket.request("ping", {}, config.opTimeoutMs);
        pingMs.push(at - t0);
      } catch (e) {
        pingFailures.add(failureKind(e));
      }
    });
    const closedEarly = sockets.filter((s) => s.closedWith !== undefined).length;

    await closeAll(sockets);
    await sleep(2000);
    const after = ctx.snapshot();

    const joined = summarize(joinedMs);
    const ping = summarize(pingMs);
    const mib = (kib: number) => round(kib / 1024, 1);
    const deltaKib = open.workerd_rss_kib - before.workerd_rss_kib;
    const perSocketKib = sockets.length > 0 ? deltaKib / sockets.length : 0;
    const rss = (snap: GroupSnapshot) => ({
      workerd_mib: mib(snap.workerd_rss_kib),
      group_mib: mib(snap.total_rss_kib),
      by_role_mib: rssByRole(snap),
      processes: snap.processes,
    });
    const roleDelta = (role: string) => round((rssByRole(open)[role] ?? 0) - (rssByRole(before)[role] ?? 0), 1);
    return {
      result: {
        design: `${k} sockets over ${conversations} groups of ${g} members from a pool of ${poolSize} users; ${config.connectConcurrency} attempts in flight; each upgrade + hello + join is timed; RSS summed over the engine's process group from /proc/<pid>/status VmRSS`,
        sockets: k,
        conversations,
        members_per_conversation: g,
        users: poolSize,
        concurrency: config.connectConcurrency,
        joined: sockets.length,
        failures: failures.counts,
        open_all_s: round(openAllS, 2),
        sockets_per_s: round(sockets.length / openAllS, 1),
        open_to_joined_ms: joined,
        ping_ms: ping,
        ping_failures: pingFailures.counts,
        closed_by_server_before_end: closedEarly,
        rss_before: rss(before),
        rss_open: rss(open),
        rss_after_close: rss(after),
        workerd_rss_delta_mib: mib(deltaKib),
        workerd_runtime_rss_delta_mib: roleDelta("workerd-runtime"),
        workerd_proxy_rss_delta_mib: roleDelta("workerd-proxy"),
        workerd_rss_per_socket_kib: round(perSocketKib, 1),
      },
      rows: [
        {
          scenario: "connections",
          measure: "open all (upgrade + hello + join)",
          value: `${sockets.length}/${k} in ${openAllS.toFixed(2)} s`,
          note: `${(sockets.length / openAllS).toFixed(0)} sockets/s, ${config.connectConcurrency} in flight${failures.total ? `; failures ${JSON.stringify(failures.counts)}` : ""}`,
        },
        { scenario: "connections", measure: "one socket: open → joined (ms)", summary: joined },
        { scenario: "connections", measure: "JSON ping → pong, all open (ms)", summary: ping, note: `${pingMs.length}/${sockets.length} answered${closedEarly ? `; ${closedEarly} closed by the server before the end` : ""}` },
        {
          scenario: "connections",
          measure: "workerd RSS before → open → closed",
          value: `${mib(before.workerd_rss_kib)} → ${mib(open.workerd_rss_kib)} → ${mib(after.workerd_rss_kib)} MiB`,
          note: `+${mib(deltaKib)} MiB for ${sockets.length} sockets (${perSocketKib.toFixed(0)} KiB each: runtime +${roleDelta("workerd-runtime")}, proxy +${roleDelta("workerd-proxy")} MiB)`,
        },
        {
          scenario: "connections",
          measure: "engine group RSS before → open → closed",
          value: `${mib(before.total_rss_kib)} → ${mib(open.total_rss_kib)} → ${mib(after.total_rss_kib)} MiB`,
          note: "wrangler's node processes and esbuild included",
        },
      ],
    };
  } finally {
    await closeAll(sockets);
  }
}
