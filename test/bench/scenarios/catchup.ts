/**
 * Catch-up (protocol v1.1, §22.11), Parley alone: how long a client back
 * after a long absence takes to get every message it missed, through the
 * SDK, and what the replay budget lets a hostile client take.
 *
 * 1. One group of BENCH_CATCHUP_MESSAGES messages (10 000 by default), sent
 *    by one member over a socket with a window in flight.
 * 2. BENCH_CATCHUP_RUNS readers, each a fresh SDK client in this process
 *    (Node, `ws`), join from `after_seq` 0 with the SDK's page size (1000)
 *    and are timed from `connect()` to the last message delivered; as many
 *    again with pages of 200 (the SDK's earlier size). Each reader is a
 *    different member: the replay budget is per user and conversation.
 * 3. A hostile reader asks for the whole history again and again (`sync
 *    after_seq 0 limit 1000`, as fast as the answers come) until refused:
 *    the messages and requests it got, and the wait the refusal named.
 */
import WebSocket from "ws";
import { ParleyClient } from "../../../client/src/index.ts";
import { type BenchContext, type Outcome, loginAll, openJoined, range } from "../context.ts";
import { FrameError, type BenchSocket } from "../socket.ts";
import { openEndpoint } from "../workloads/shared.ts";
import { round, summarize } from "../stats.ts";

const WINDOW = 32;
const FILL_ACK_TIMEOUT_MS = 300_000;
/** The hostile loop stops by itself after this many requests, refused or not. */
const HOSTILE_MAX_REQUESTS = 200;

export async function catchup(ctx: BenchContext): Promise<Outcome> {
  const { config, api } = ctx;
  const total = config.catchupMessages;
  const runs = config.catchupRuns;
  ctx.progress(`catchup: one conversation of ${total} messages`);
  const [writer, hostile, ...readers] = await loginAll(ctx, ["cu_writer", "cu_hostile", ...range(2 * runs).map((i) => `cu_r${i}`)]);
  const id = await api.group(writer!, "bench catchup", [hostile!, ...readers].map((m) => m.username));

  const socket: BenchSocket = await openEndpoint({ url: `${ctx.engine.wsUrl}/v1/conversations/${id}/ws`, token: writer!.token }, config.opTimeoutMs);
  const body = "x".repeat(Math.min(config.bodyChars, 4000));
  const fillStart = performance.now();
  try {
    const inFlight = new Set<Promise<unknown>>();
    for (let n = 0; n < total; n++) {
      const p = socket.send(`cu-${n}`, body, FILL_ACK_TIMEOUT_MS).finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= WINDOW) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    socket.close();
  }
  const fillS = (performance.now() - fillStart) / 1000;
  ctx.progress(`catchup: ${total} messages sent in ${fillS.toFixed(1)} s`);

  const timeOne = async (token: string, pageLimit: number): Promise<number> => {
    const client = new ParleyClient({ baseUrl: ctx.engine.url, token, WebSocket, storage: null, timing: { PAGE_LIMIT: pageLimit } });
    try {
      const chat = client.conversation(id);
      let count = 0;
      let errors = 0;
      chat.on("error", () => errors++);
      const done = new Promise<void>((resolve) => chat.on("message", () => ++count === total && resolve()));
      const t0 = performance.now();
      chat.connect();
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`catch-up of ${total} took over 60 s (${count} delivered, ${errors} errors)`)), 60_000).unref());
      await Promise.race([done, timeout]);
      const ms = performance.now() - t0;
      if (chat.lastSeq !== total) throw new Error(`catch-up ended at seq ${chat.lastSeq}, not ${total}`);
      return ms;
    } finally {
      client.destroy();
    }
  };
  const big: number[] = [];
  const small: number[] = [];
  for (let i = 0; i < runs; i++) {
    big.push(await timeOne(readers[i]!.token, 1000));
    small.push(await timeOne(readers[runs + i]!.token, 200));
  }

  ctx.progress("catchup: a hostile reader replaying the whole history in a loop");
  const loop = await openJoined(ctx, hostile!, id);
  let delivered = 0;
  let requests = 0;
  let refusedAfterMs: number | undefined;
  const loopStart = performance.now();
  try {
    while (requests < HOSTILE_MAX_REQUESTS) {
      requests++;
      try {
        const page = await loop.request("sync", { after_seq: 0, limit: 1000 }, config.opTimeoutMs);
        delivered += (page.frame.data as { messages: unknown[] }).messages.length;
      } catch (e) {
        if (e instanceof FrameError && e.body.code === "rate_limited") {
          refusedAfterMs = e.body.retry_after_ms;
          break;
        }
        throw e;
      }
    }
  } finally {
    loop.close();
  }
  const loopMs = performance.now() - loopStart;

  const bigSummary = summarize(big);
  const smallSummary = summarize(small);
  return {
    result: {
      design: `${total} messages of ${body.length} characters in one group; ${runs} readers each caught up from after_seq 0 by a fresh SDK client (pages of 1000), ${runs} more with pages of 200; then one reader looping sync after_seq 0 limit 1000 until refused`,
      messages: total,
      fill_s: round(fillS, 1),
      catchup_ms_page_1000: bigSummary,
      catchup_ms_page_200: smallSummary,
      hostile_requests: requests,
      hostile_messages: delivered,
      hostile_loop_ms: round(loopMs, 0),
      hostile_refused: refusedAfterMs !== undefined,
      hostile_retry_after_ms: refusedAfterMs,
    },
    rows: [
      { scenario: "catchup", measure: `SDK catch-up of ${total} messages, pages of 1000 (ms)`, summary: bigSummary, note: `${runs} readers, connect() to the last message` },
      { scenario: "catchup", measure: `SDK catch-up of ${total} messages, pages of 200 (ms)`, summary: smallSummary, note: `${runs} readers` },
      {
        scenario: "catchup",
        measure: "hostile replay loop (sync after_seq 0, limit 1000)",
        value: refusedAfterMs !== undefined ? `refused after ${delivered} messages in ${requests} requests` : `not refused in ${requests} requests`,
        note: refusedAfterMs !== undefined ? `${round(loopMs, 0)} ms; retry_after_ms ${refusedAfterMs}` : `${delivered} messages`,
      },
    ],
  };
}
