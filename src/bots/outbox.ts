/**
 * A conversation's calls to its bots (docs/protocol.md §22.14, decision 0030).
 *
 * A message that mentions a bot member, or any message to a bot in a direct
 * conversation, writes a `bot_outbox` row (bot, seq) in the transaction of
 * the message; a conversation without bots writes nothing and asks nothing
 * (the store keeps its bot members in memory). The alarm delivers due rows:
 * the bot's User actor posts the message and its context to the bot's
 * webhook, signed, within 7 s, and hands back what the bot answered, which
 * the conversation posts as the bot with the client_msg_id `bot-re-<seq>`:
 * a retried call never posts twice. A failed call is retried with backoff
 * (1 s doubling, full jitter, at most 5 min) up to MAX_BOT_ATTEMPTS, then
 * dropped and logged. Nothing here ever holds up a send.
 */
import type { Counters } from "../admin/metrics.ts";
import { ParleyError, type BotReply, type Message, type MessageAck, type UserView } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import { describeError, type Logger } from "../shared/log.ts";
import type { Result } from "../shared/result.ts";
import { retryDelay } from "../conversation/fanout.ts";
import type { ConversationStore } from "../conversation/store.ts";
import { isBotId } from "./ids.ts";

export const MAX_BOT_ATTEMPTS = 8;
/** Messages before the triggering one that a bot is sent as context. */
export const BOT_CONTEXT_MESSAGES = 5;
const CALL_TIMEOUT_MS = 10_000;
const BATCH = 20;

/** What a bot's webhook receives (the signed JSON body). */
export interface BotCall {
  id: string;
  type: "bot.message";
  reason: "mention" | "direct";
  created_at: number;
  bot: { id: string };
  conversation: { id: string; kind: "direct" | "group"; title?: string };
  sender: UserView;
  message: Message;
  /** The message this one answers, when it is a reply. */
  reply_to?: Message;
  /** Up to BOT_CONTEXT_MESSAGES messages before it, ascending. */
  context: Message[];
}

export interface BotDeps {
  call(botId: string, call: BotCall): Promise<Result<{ reply?: BotReply }>>;
  /** Posts the bot's answer as the bot (send.ts), idempotent by `clientMsgId`. */
  post(botId: string, reply: BotReply, clientMsgId: string): MessageAck;
  transaction(body: () => void): void;
  log: Logger;
  counters: Counters;
}

interface Row {
  bot_id: string;
  seq: number;
  attempts: number;
  next_at: number;
  [key: string]: SqlStorageValue;
}

/** The bots a message calls: bots it mentions, or the bot of a direct conversation; never for a message from a bot. */
export function botTriggers(store: ConversationStore, message: Message): Array<{ botId: string; reason: "mention" | "direct" }> {
  if (store.bots.size === 0 || isBotId(message.sender_id)) return [];
  if (store.meta?.kind === "direct") {
    return [...store.bots].filter((id) => id !== message.sender_id).map((botId) => ({ botId, reason: "direct" as const }));
  }
  return (message.mentions ?? []).filter((id) => store.bots.has(id)).map((botId) => ({ botId, reason: "mention" as const }));
}

/** The idempotency key of a bot's answer to message `seq`. */
export function replyKey(seq: number): string {
  return `bot-re-${seq}`;
}

export class BotOutbox {
  readonly #sql: SqlStorage;
  readonly #store: ConversationStore;
  readonly #deps: BotDeps;

  constructor(sql: SqlStorage, store: ConversationStore, deps: BotDeps) {
    this.#sql = sql;
    this.#store = store;
    this.#deps = deps;
  }

  /** Owes these bots a call about message `seq`; inside the message's transaction. */
  enqueue(botIds: readonly string[], seq: number): void {
    for (const id of botIds) this.#sql.exec("INSERT OR IGNORE INTO bot_outbox (bot_id, seq) VALUES (?, ?)", id, seq);
  }

  nextAt(): number | undefined {
    return this.#sql.exec<{ t: number | null }>("SELECT min(next_at) AS t FROM bot_outbox").one().t ?? undefined;
  }

  backlog(): number {
    return this.#sql.exec<{ n: number }>("SELECT count(*) AS n FROM bot_outbox").one().n;
  }

  async deliver(now: number): Promise<void> {
    const rows = this.#sql.exec<Row>("SELECT bot_id, seq, attempts, next_at FROM bot_outbox WHERE next_at <= ? ORDER BY seq LIMIT ?", now, BATCH).toArray();
    if (rows.length === 0) return;
    const calls = rows.map((row) => ({ row, call: this.#callOf(row) }));
    const results = await Promise.allSettled(calls.map(({ row, call }) =>
      call ? withTimeout(this.#deps.call(row.bot_id, call), CALL_TIMEOUT_MS) : Promise.resolve(undefined)));
    // Posting the answers is synchronous (send.ts) and each is idempotent: a row is deleted after its answer is posted.
    const done: Row[] = [];
    const retry: Row[] = [];
    results.forEach((r, i) => {
      const { row, call } = calls[i]!;
      if (!call) return done.push(row);
      if (r.status === "rejected" || (r.value && !r.value.ok && r.value.error.retryable)) {
        const error = r.status === "rejected" ? describeError(r.reason) : r.value!.ok ? "" : r.value!.error.message;
        this.#deps.log("warn", "bot.call_failed", { bot_id: row.bot_id, seq: row.seq, attempts: row.attempts + 1, error });
        return retry.push(row);
      }
      if (r.value && !r.value.ok) {
        this.#deps.log("warn", "bot.call_refused", { bot_id: row.bot_id, seq: row.seq, error: r.value.error.message });
        this.#deps.counters.add("bot.dropped");
        return done.push(row);
      }
      this.#deps.counters.add("bot.calls");
      const reply = r.value?.ok ? r.value.value.reply : undefined;
      if (reply && this.#store.member(row.bot_id)) {
        try {
          this.#deps.post(row.bot_id, reply, replyKey(row.seq));
        } catch (e) {
          const error = e instanceof ParleyError ? e : new ParleyError("internal", describeError(e));
          if (error.code === "rate_limited") return retry.push(row);
          this.#deps.log("warn", "bot.reply_refused", { bot_id: row.bot_id, seq: row.seq, error: error.message });
        }
      }
      done.push(row);
    });
    this.#deps.transaction(() => {
      for (const row of done) this.#sql.exec("DELETE FROM bot_outbox WHERE bot_id = ? AND seq = ?", row.bot_id, row.seq);
      for (const row of retry) {
        const attempts = row.attempts + 1;
        this.#deps.counters.add("bot.retries");
        if (attempts >= MAX_BOT_ATTEMPTS) {
          this.#deps.counters.add("bot.dropped");
          this.#deps.log("error", "bot.call_dropped", { bot_id: row.bot_id, seq: row.seq, attempts });
          this.#sql.exec("DELETE FROM bot_outbox WHERE bot_id = ? AND seq = ?", row.bot_id, row.seq);
        } else {
          this.#sql.exec("UPDATE bot_outbox SET attempts = ?, next_at = ? WHERE bot_id = ? AND seq = ?", attempts, Date.now() + retryDelay(attempts), row.bot_id, row.seq);
        }
      }
    });
  }

  /** The call about a row's message, or undefined when there is nothing to call about any more (deleted, or the bot left). */
  #callOf(row: Row): BotCall | undefined {
    const message = this.#store.messageAt(row.seq);
    const meta = this.#store.meta;
    if (!message || !meta || message.deleted_at !== undefined || !this.#store.member(row.bot_id)) return undefined;
    const sender = this.#store.member(message.sender_id);
    const before = this.#store.page({ direction: "backward", before: row.seq, limit: BOT_CONTEXT_MESSAGES }).messages;
    const replied = message.reply_to_seq !== undefined ? this.#store.messageAt(message.reply_to_seq) : undefined;
    const botMentioned = (message.mentions ?? []).includes(row.bot_id);
    return {
      id: `bot:${meta.conversationId}:${row.seq}:${row.bot_id}`,
      type: "bot.message",
      reason: meta.kind === "direct" && !botMentioned ? "direct" : "mention",
      created_at: message.created_at,
      bot: { id: row.bot_id },
      conversation: { id: meta.conversationId, kind: meta.kind, ...(meta.title !== undefined ? { title: meta.title } : {}) },
      sender: { id: message.sender_id, username: sender?.username ?? "", ...(isBotId(message.sender_id) ? { bot: true as const } : {}) },
      message,
      ...(replied ? { reply_to: replied } : {}),
      context: before,
    };
  }
}
