/**
 * Reports: a budget per reporter, one open report per (reporter, target),
 * kept in the reporter's shard (decision 0016).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ErrorBody } from "../../src/protocol/index.ts";
import { reportShard } from "../../src/reports/shards.ts";
import { api, createDirect, login, type Session } from "./helpers.ts";

function fileReport(reporter: Session, body: Record<string, unknown>) {
  return api("POST", "/v1/reports", reporter.token, { reason: "spam", ...body });
}

function shardOf(reporter: Session) {
  return env.REPORTS.get(env.REPORTS.idFromName(reportShard(reporter.userId)));
}

describe("reports", () => {
  it("a reporter files at most 10 reports an hour: the next is 429 with Retry-After and stores nothing", async () => {
    const reporter = await login();
    const targets = await Promise.all(Array.from({ length: 11 }, () => login()));
    for (const t of targets.slice(0, 10)) expect((await fileReport(reporter, { kind: "user", username: t.username })).status).toBe(201);
    const refused = await fileReport(reporter, { kind: "user", username: targets[10]!.username });
    expect(refused.status).toBe(429);
    expect(ErrorBody.parse(refused.body)).toMatchObject({ code: "rate_limited", retryable: true });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const mine = (await shardOf(reporter).open(1000)).filter((r) => r.reporter_id === reporter.userId);
    expect(mine).toHaveLength(10);
    expect(mine.some((r) => r.target_user_id === targets[10]!.userId)).toBe(false);
    // Another reporter is not affected.
    expect((await fileReport(await login(), { kind: "user", username: targets[10]!.username })).status).toBe(201);
  });

  it("one open report per reporter and target: a repeat is 409 conflict; others may still report that target", async () => {
    const reporter = await login();
    const other = await login();
    const target = await login();
    const id = await createDirect(reporter, target);
    for (const n of [1, 2]) {
      expect((await api("POST", `/v1/conversations/${id}/messages`, target.token, { client_msg_id: `m${n}`, body: `nasty ${n}` })).status).toBe(200);
    }
    expect((await fileReport(reporter, { kind: "user", username: target.username })).status).toBe(201);
    const again = await fileReport(reporter, { kind: "user", username: target.username.toUpperCase(), reason: "again" });
    expect(again.status).toBe(409);
    expect(ErrorBody.parse(again.body).code).toBe("conflict");
    // A message is a target of its own: each message once.
    expect((await fileReport(reporter, { kind: "message", conversation_id: id, seq: 1 })).status).toBe(201);
    expect((await fileReport(reporter, { kind: "message", conversation_id: id, seq: 1 })).status).toBe(409);
    expect((await fileReport(reporter, { kind: "message", conversation_id: id, seq: 2 })).status).toBe(201);
    expect((await fileReport(other, { kind: "user", username: target.username })).status).toBe(201);
    const mine = (await shardOf(reporter).open(1000)).filter((r) => r.reporter_id === reporter.userId);
    expect(mine.map((r) => [r.kind, r.seq]).sort()).toEqual([["message", 1], ["message", 2], ["user", null]]);
  });

  it("land in the reporter's shard, one of several actors, not one global actor", async () => {
    const reporters = await Promise.all(Array.from({ length: 6 }, () => login()));
    const target = await login();
    for (const r of reporters) expect((await fileReport(r, { kind: "user", username: target.username })).status).toBe(201);
    for (const r of reporters) {
      const stored = await shardOf(r).open(1000);
      expect(stored.some((row) => row.reporter_id === r.userId && row.target_user_id === target.userId), r.userId).toBe(true);
    }
    expect(new Set(reporters.map((r) => reportShard(r.userId))).size).toBeGreaterThan(1);
  });
});
