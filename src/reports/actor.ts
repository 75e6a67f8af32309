import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { ParleyError, type Message } from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";
import { configOf } from "../shared/config.ts";
import { createLogger } from "../shared/log.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";
import { err, ok, type Result } from "../shared/result.ts";

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "reports",
    sql: `
      CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        reporter_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('user', 'message')),
        target_user_id TEXT NOT NULL,
        conversation_id TEXT,
        seq INTEGER,
        -- What the reported message said when it was reported, for review.
        message_json TEXT,
        reason TEXT NOT NULL,
        details TEXT,
        created_at INTEGER NOT NULL,
        reviewed_at INTEGER
      );
      CREATE INDEX reports_open ON reports (reviewed_at, created_at);
    `,
  },
  {
    id: 2,
    name: "one open report per reporter and target",
    // The target is the user of a user report, the message (conversation, seq) of a message report.
    // A reviewer closes a report by setting reviewed_at; the reporter may then report the same target again.
    sql: `
      CREATE UNIQUE INDEX reports_one_open ON reports (reporter_id, kind, target_user_id, coalesce(conversation_id, ''), coalesce(seq, 0))
        WHERE reviewed_at IS NULL;
    `,
  },
  {
    id: 3,
    name: "review",
    // An operator's resolution (docs/protocol.md §22.18): who, and their note.
    sql: `
      ALTER TABLE reports ADD COLUMN reviewed_by TEXT;
      ALTER TABLE reports ADD COLUMN resolution_note TEXT;
      CREATE INDEX reports_by_time ON reports (created_at, id);
    `,
  },
];

/** A report as operators read it. */
export interface ReportView {
  id: string;
  reporter_id: string;
  kind: "user" | "message";
  target_user_id: string;
  conversation_id?: string;
  seq?: number;
  message?: Message;
  reason: string;
  details?: string;
  created_at: number;
  status: "open" | "resolved";
  resolved_at?: number;
  resolved_by?: string;
  resolution_note?: string;
}

function reportView(r: Record<string, SqlStorageValue>): ReportView {
  const v: ReportView = {
    id: r.id as string, reporter_id: r.reporter_id as string, kind: r.kind as ReportView["kind"], target_user_id: r.target_user_id as string,
    reason: r.reason as string, created_at: r.created_at as number, status: r.reviewed_at === null ? "open" : "resolved",
  };
  if (r.conversation_id !== null) v.conversation_id = r.conversation_id as string;
  if (r.seq !== null) v.seq = r.seq as number;
  if (r.message_json !== null) v.message = JSON.parse(r.message_json as string) as Message;
  if (r.details !== null) v.details = r.details as string;
  if (r.reviewed_at !== null) v.resolved_at = r.reviewed_at as number;
  if (r.reviewed_by !== null && r.reviewed_by !== undefined) v.resolved_by = r.reviewed_by as string;
  if (r.resolution_note !== null && r.resolution_note !== undefined) v.resolution_note = r.resolution_note as string;
  return v;
}

export interface ReportInput {
  reporter_id: string;
  kind: "user" | "message";
  target_user_id: string;
  conversation_id?: string;
  seq?: number;
  message?: Message;
  reason: string;
  details?: string;
}

/**
 * The review queue: reports kept for moderators, in one of REPORT_SHARDS
 * actors chosen by the reporter (src/reports/shards.ts, decision 0016). A
 * reporter has at most one open report per target (the reported user, or
 * the reported message); the per-reporter rate limit is taken by the Worker
 * before anything is looked up (worker/routes/safety.ts).
 */
export class Reports extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
    });
  }

  /** Files a report; `conflict` when the reporter already has an open report about this target. */
  file(input: ReportInput): Result<{ id: string; created_at: number }> {
    const open = this.ctx.storage.sql
      .exec<{ id: string }>(
        `SELECT id FROM reports WHERE reporter_id = ? AND kind = ? AND target_user_id = ? AND coalesce(conversation_id, '') = ? AND coalesce(seq, 0) = ?
           AND reviewed_at IS NULL`,
        input.reporter_id, input.kind, input.target_user_id, input.conversation_id ?? "", input.seq ?? 0,
      )
      .toArray()[0];
    if (open) {
      const what = input.kind === "user" ? "this user" : "this message";
      return err(new ParleyError("conflict", `You already have an open report about ${what} (${open.id}); it will be reviewed.`));
    }
    const id = randomId("rp_", 20);
    const created_at = Date.now();
    this.ctx.storage.sql.exec(
      `INSERT INTO reports (id, reporter_id, kind, target_user_id, conversation_id, seq, message_json, reason, details, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id, input.reporter_id, input.kind, input.target_user_id, input.conversation_id ?? null, input.seq ?? null,
      input.message ? JSON.stringify(input.message) : null, input.reason, input.details ?? null, created_at,
    );
    createLogger(configOf(this.env).logLevel)("info", "report.filed", {
      actor: `Reports:${this.ctx.id.name ?? this.ctx.id.toString()}`, report_id: id, user_id: input.reporter_id, kind: input.kind,
    });
    return ok({ id, created_at });
  }

  /** A page of reports by time (`created_at`, then id), after the cursor; operators merge the shards' pages (worker/routes/admin.ts). */
  page(status: "open" | "resolved" | undefined, limit: number, after: { created_at: number; id: string }): ReportView[] {
    const filter = status === "open" ? "AND reviewed_at IS NULL" : status === "resolved" ? "AND reviewed_at IS NOT NULL" : "";
    return this.ctx.storage.sql
      .exec(`SELECT * FROM reports WHERE (created_at, id) > (?, ?) ${filter} ORDER BY created_at, id LIMIT ?`, after.created_at, after.id, Math.min(Math.max(1, limit), 200))
      .toArray().map(reportView);
  }

  get(id: string): ReportView | undefined {
    const row = this.ctx.storage.sql.exec("SELECT * FROM reports WHERE id = ?", id).toArray()[0];
    return row ? reportView(row) : undefined;
  }

  /** Resolves a report with an operator's note; resolving it again changes nothing (`conflict`). */
  resolve(id: string, by: string, note: string): Result<ReportView> {
    const row = this.get(id);
    if (!row) return err(new ParleyError("not_found", "No such report."));
    if (row.status === "resolved") return err(new ParleyError("conflict", "This report is already resolved."));
    this.ctx.storage.sql.exec("UPDATE reports SET reviewed_at = ?, reviewed_by = ?, resolution_note = ? WHERE id = ?", Date.now(), by, note, id);
    createLogger(configOf(this.env).logLevel)("info", "report.resolved", { actor: `Reports:${this.ctx.id.name ?? this.ctx.id.toString()}`, report_id: id, user_id: by });
    return ok(this.get(id)!);
  }

  /** Open reports, oldest first, for a review tool. */
  open(limit = 100): Array<Record<string, SqlStorageValue>> {
    return this.ctx.storage.sql
      .exec("SELECT * FROM reports WHERE reviewed_at IS NULL ORDER BY created_at LIMIT ?", Math.min(Math.max(1, limit), 1000))
      .toArray();
  }
}
