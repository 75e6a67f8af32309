/**
 * The counters an operator watches (docs/operations.md, decision 0033).
 *
 * Counting costs a map update in memory and nothing else: no RPC and no
 * storage write on the path that is counted. Each actor keeps its counters
 * in memory and flushes them from its alarm, at most every FLUSH_MS, to the
 * Workers Analytics Engine dataset when the deployment binds one
 * (`ANALYTICS`), and to one of the METRICS_SHARDS actors that sum them for
 * `GET /v1/admin/metrics`. Counters lost with an evicted actor are lost
 * (at most FLUSH_MS of them); gauges (open sockets, backlogs) are re-read at
 * every flush.
 */
import type { Env } from "../env.ts";
import { FLUSH_MS, type Counters, type Snapshot } from "../shared/counters.ts";

export { Counters, FLUSH_MS, LATENCY_BUCKETS_MS, type Snapshot } from "../shared/counters.ts";

export const METRICS_SHARDS = 8;

/**
 * Flushes an actor's counters when FLUSH_MS has passed since the last flush:
 * a data point per counter to Analytics Engine (blob1 the counter's name,
 * blob2 the kind of actor, double1 the value), and the whole snapshot to the
 * actor's metrics shard. A failed call loses that snapshot's counters (they
 * are an operator's view, not a ledger) and is not retried.
 */
export async function flushCounters(env: Env, counters: Counters, source: string, kind: string, force = false): Promise<void> {
  const due = counters.dueAt();
  const now = Date.now();
  if (due === undefined || (!force && due > now)) return;
  const snap = counters.take(now);
  if (env.ANALYTICS) {
    for (const [name, value] of Object.entries(snap.counters)) env.ANALYTICS.writeDataPoint({ blobs: [name, kind, "counter"], doubles: [value], indexes: [name] });
    for (const [name, value] of Object.entries(snap.gauges)) env.ANALYTICS.writeDataPoint({ blobs: [name, kind, "gauge", source], doubles: [value], indexes: [name] });
  }
  try {
    await env.METRICS.get(env.METRICS.idFromName(metricsShard(source))).add(source, snap, now);
  } catch {
    // An operator's view: a lost flush is not worth a retry.
  }
}

export function metricsShard(source: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    hash ^= source.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `metrics-${hash % METRICS_SHARDS}`;
}

export function metricsShardNames(): string[] {
  return Array.from({ length: METRICS_SHARDS }, (_, i) => `metrics-${i}`);
}

/** Adds snapshots: counters summed, gauges summed (each source reports its own part). */
export function mergeSnapshots(parts: Snapshot[]): Snapshot {
  const out: Snapshot = { counters: {}, gauges: {} };
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.counters)) out.counters[k] = (out.counters[k] ?? 0) + v;
    for (const [k, v] of Object.entries(p.gauges)) out.gauges[k] = (out.gauges[k] ?? 0) + v;
  }
  return out;
}
