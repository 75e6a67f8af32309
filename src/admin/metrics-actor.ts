import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";
import type { Snapshot } from "./metrics.ts";

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "metrics",
    sql: `
      CREATE TABLE counters (name TEXT PRIMARY KEY, value REAL NOT NULL);
      CREATE TABLE gauges (source TEXT NOT NULL, name TEXT NOT NULL, value REAL NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (source, name));
    `,
  },
];

/** A gauge not reported again within this time is from an actor that went away: it is left out (and forgotten). */
export const GAUGE_TTL_MS = 60_000;

/**
 * One of the METRICS_SHARDS actors (`metrics-0` …) that sum the counters
 * actors flush (admin/metrics.ts, decision 0033), for the local operator
 * route. Counters are totals since the shard was created; gauges are the
 * latest value of each reporting actor.
 */
export class MetricsShard extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
    });
  }

  add(source: string, snap: Snapshot, at: number): void {
    const sql = this.ctx.storage.sql;
    for (const [name, value] of Object.entries(snap.counters)) {
      if (!Number.isFinite(value)) continue;
      sql.exec("INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value", name, value);
    }
    for (const [name, value] of Object.entries(snap.gauges)) {
      if (!Number.isFinite(value)) continue;
      sql.exec("INSERT INTO gauges (source, name, value, at) VALUES (?, ?, ?, ?) ON CONFLICT (source, name) DO UPDATE SET value = excluded.value, at = excluded.at", source, name, value, at);
    }
  }

  read(): Snapshot {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM gauges WHERE at < ?", Date.now() - GAUGE_TTL_MS);
    const counters: Record<string, number> = {};
    for (const r of sql.exec<{ name: string; value: number }>("SELECT name, value FROM counters")) counters[r.name] = r.value;
    const gauges: Record<string, number> = {};
    for (const r of sql.exec<{ name: string; value: number }>("SELECT name, sum(value) AS value FROM gauges GROUP BY name")) gauges[r.name] = r.value;
    return { counters, gauges };
  }
}
