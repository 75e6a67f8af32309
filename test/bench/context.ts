/**
 * What every scenario gets from the runner, what it gives back, and the
 * set-up steps several scenarios share (logins, joined sockets, delivery
 * checks).
 */
import type { Engine } from "../support/engine.ts";
import type { CompareRow } from "./compare.ts";
import { type Api, type BenchUser, RestError } from "./api.ts";
import type { BenchConfig } from "./config.ts";
import type { SendRate } from "./pacer.ts";
import type { GroupSnapshot } from "./procs.ts";
import { BenchSocket, FrameError, OpenError } from "./socket.ts";
import { Tally, mapLimit, type Summary } from "./stats.ts";

export interface BenchContext {
  engine: Engine;
  api: Api;
  config: BenchConfig;
  /** The send rate limit the engine announced in `hello.ack`. */
  rate: SendRate;
  /** The body of every message sent (`BENCH_BODY_CHARS` characters). */
  body: string;
  progress(message: string): void;
  /** RSS and CPU time of the engine's processes now. */
  snapshot(): GroupSnapshot;
}

/** One line of the printed table: either a latency summary or a value. */
export interface Row {
  scenario: string;
  measure: string;
  summary?: Summary | undefined;
  value?: string;
  note?: string;
}

export interface Outcome {
  /** Written to the JSON results as they are. */
  result: Record<string, unknown>;
  rows: Row[];
  /** Rows of the floor comparison table (the workloads W1–W5). */
  compared?: CompareRow[];
  /** Part of the scenario failed, yet it has results to report. */
  error?: string;
  /** The scenario restarted the engine itself this many times (not a crash). */
  plannedRestarts?: number;
}

/** Logs in every username (creating the user), a few at a time. */
export function loginAll(ctx: BenchContext, usernames: readonly string[]): Promise<BenchUser[]> {
  return mapLimit(usernames, 16, (name) => ctx.api.login(name));
}

/** Opens a conversation socket for `user` and completes hello and join. */
export async function openJoined(ctx: Pick<BenchContext, "engine" | "config">, user: BenchUser, conversationId: string): Promise<BenchSocket> {
  const socket = await BenchSocket.open(socketUrl(ctx, conversationId), user.token, ctx.config.opTimeoutMs);
  try {
    await socket.handshake(ctx.config.opTimeoutMs);
  } catch (e) {
    socket.close();
    throw e;
  }
  return socket;
}

/**
 * Opens and joins one socket per slot. All or nothing: if any fails, the
 * ones that opened are closed and the error says how many failed and why.
 */
export function openAll(
  ctx: BenchContext,
  slots: ReadonlyArray<{ user: BenchUser; conversationId: string }>,
  concurrency: number,
): Promise<BenchSocket[]> {
  return openAllOrNone(slots, concurrency, (slot) => openJoined(ctx, slot.user, slot.conversationId));
}

/** Runs `open` for every item, at most `concurrency` at once; if any fails, closes the rest and throws with the failures by kind. */
export async function openAllOrNone<T>(items: readonly T[], concurrency: number, open: (item: T) => Promise<BenchSocket>): Promise<BenchSocket[]> {
  const failures = new Tally();
  const opened = await mapLimit(items, concurrency, async (item) => {
    try {
      return await open(item);
    } catch (e) {
      failures.add(failureKind(e));
      return undefined;
    }
  });
  const sockets = opened.filter((s): s is BenchSocket => s !== undefined);
  if (failures.total > 0) {
    await closeAll(sockets);
    throw new Error(`${failures.total} of ${items.length} sockets failed to open and join: ${JSON.stringify(failures.counts)}`);
  }
  return sockets;
}

export function socketUrl(ctx: Pick<BenchContext, "engine">, conversationId: string): string {
  return `${ctx.engine.wsUrl}/v1/conversations/${conversationId}/ws`;
}

export async function closeAll(sockets: readonly BenchSocket[]): Promise<void> {
  await mapLimit(sockets, 100, (s) => s.closeAndWait(2000));
}

/** A short, countable name for a failure: an error code, an HTTP status, a close, a timeout. */
export function failureKind(e: unknown): string {
  if (e instanceof FrameError) return `error:${e.body.code}`;
  if (e instanceof RestError) return `http_${e.status}${e.body.code ? `:${e.body.code}` : ""}`;
  if (e instanceof OpenError) return `open:${e.reason}`;
  if (e instanceof Error) {
    if (/within \d+ ms/.test(e.message)) return "timeout";
    if (/socket closed \((\d+)\)/.test(e.message)) return `closed:${/socket closed \((\d+)\)/.exec(e.message)![1]}`;
    if (e.name === "TimeoutError") return "timeout";
    return `exception:${e.message.slice(0, 60)}`;
  }
  return "unknown";
}

/**
 * Checks what one socket receives as `message.new`: every socket here joins
 * before the first message, so it must see seq 1, 2, 3… with no gap and no
 * repeat (PROTOCOL §4.1). Counted, never asserted.
 */
export class SeqCheck {
  received = 0;
  gaps = 0;
  repeats = 0;
  #last = 0;

  observe(seq: number): void {
    this.received++;
    if (seq <= this.#last) this.repeats++;
    else {
      if (seq !== this.#last + 1) this.gaps++;
      this.#last = seq;
    }
  }
}

/**
 * Consecutive failures after which a sequential scenario stops: an engine
 * that stopped answering would otherwise cost one timeout per remaining step.
 */
export const MAX_CONSECUTIVE_FAILURES = 5;

export const stopNote = (stoppedAt: number | undefined) =>
  stoppedAt === undefined ? "" : `stopped after step ${stoppedAt}: ${MAX_CONSECUTIVE_FAILURES} failures in a row`;

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
