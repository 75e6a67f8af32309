import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import type { Message } from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";
import { configOf } from "../shared/config.ts";
import { createLogger } from "../shared/log.ts";
import { runMigrations, type Migration } from "../shared/migrations.ts";

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
];

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

/** The review queue: every report, kept for moderators. One actor ("global"). */
export class Reports extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      runMigrations(ctx.storage, MIGRATIONS);
    });
  }

  file(input: ReportInput): { id: string; created_at: number } {
    const id = randomId("rp_", 20);
    const created_at = Date.now();
    this.ctx.storage.sql.exec(
      `INSERT INTO reports (id, reporter_id, kind, target_user_id, conversation_id, seq, message_json, reason, details, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id, input.reporter_id, input.kind, input.target_user_id, input.conversation_id ?? null, input.seq ?? null,
      input.message ? JSON.stringify(input.message) : null, input.reason, input.details ?? null, created_at,
    );
    createLogger(configOf(this.env).logLevel)("info", "report.filed", { actor: "Reports:global", report_id: id, user_id: input.reporter_id, kind: input.kind });
    return { id, created_at };
  }

  /** Open reports, oldest first, for a review tool. */
  open(limit = 100): Array<Record<string, SqlStorageValue>> {
    return this.ctx.storage.sql
      .exec("SELECT * FROM reports WHERE reviewed_at IS NULL ORDER BY created_at LIMIT ?", Math.min(Math.max(1, limit), 1000))
      .toArray();
  }
}
