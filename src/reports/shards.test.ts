import { describe, expect, it } from "vitest";
import { randomId } from "../shared/ids.ts";
import { REPORT_SHARDS, reportShard, reportShardNames } from "./shards.ts";

describe("reportShard", () => {
  it("puts a reporter always in the same shard, one of the named ones", () => {
    const names = new Set(reportShardNames());
    expect(names.size).toBe(REPORT_SHARDS);
    for (const id of ["u_a", "u_b", randomId("u_", 20)]) {
      expect(reportShard(id)).toBe(reportShard(id));
      expect(names.has(reportShard(id))).toBe(true);
    }
  });

  it("spreads reporters over every shard", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 1600; i++) {
      const shard = reportShard(randomId("u_", 20));
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect(counts.size).toBe(REPORT_SHARDS);
    // 100 expected per shard: none is starved or swamped.
    for (const n of counts.values()) expect(n).toBeGreaterThan(50);
    for (const n of counts.values()) expect(n).toBeLessThan(160);
  });
});
