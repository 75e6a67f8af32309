import { ParleyError, errorBody, type ErrorBody, type Message, type MessageAck } from "../../src/protocol/index.ts";
import { backoffDelay } from "./backoff.ts";
import type { Outbox } from "./outbox.ts";
import type { ParleyApi } from "./rest.ts";
import type { Timing } from "./timing.ts";

/** What the poller needs from its conversation handle. */
export interface PollerHost {
  readonly conversationId: string;
  readonly api: ParleyApi;
  readonly timing: Timing;
  readonly outbox: Outbox;
  /** Whether polling should run now (the socket fell back and is not live). */
  active(): boolean;
  /**
   * Where the next poll reads from: after a `rev` (every change, edits
   * included; what the handle has seen of the conversation's changes), or
   * after a `seq` (new messages only) when it knows no rev to start from.
   */
  cursor(): { afterRev: number } | { afterSeq: number };
  /** Messages from a poll (any order, repeats allowed: the handle's SeqBuffer sorts them out); `byRev`: a poll by rev, whose messages move the rev cursor. */
  deliver(messages: Message[], byRev: boolean): void;
  /** A REST send was stored (or found stored). */
  acked(ack: MessageAck): void;
  /** A REST send was refused for good. */
  sendFailed(clientMsgId: string, body: string, error: ErrorBody): void;
  /** A poll was refused for good (403, 404): the conversation stops as a refused socket would. */
  refused(status: 403 | 404, message: string): void;
}

/**
 * The long-polling side of a conversation (docs/protocol.md §15.18): one
 * `GET …/poll?after_rev=` after another while the handle is in fallback (or
 * `?after_seq=` while it knows no rev), so edits, deletions and reactions
 * arrive while polling as over the socket (§22.4),
 * and the outbox sent over REST (`POST …/messages`) under the same
 * `client_msg_id`s, one at a time, so ordering, de-duplication and the
 * outbox's guarantees are the socket's. Polls are aborted when polling
 * stops; a REST send in flight is let finish (its ack is matched by id, so
 * a resend over the socket meanwhile changes nothing).
 */
export class Poller {
  readonly #host: PollerHost;
  /** Grows with every start and stop; a loop of an older generation ends. */
  #generation = 0;
  #abort: AbortController | undefined;
  #sending = false;

  constructor(host: PollerHost) {
    this.#host = host;
  }

  get running(): boolean {
    return this.#abort !== undefined;
  }

  /** Starts receiving and sending, if not already running. */
  start(): void {
    if (this.#abort) return;
    const abort = new AbortController();
    this.#abort = abort;
    const generation = ++this.#generation;
    void this.#receive(generation, abort.signal);
    void this.pump();
  }

  /** Stops receiving (the poll in flight is aborted). */
  stop(): void {
    if (!this.#abort) return;
    this.#generation += 1;
    this.#abort.abort();
    this.#abort = undefined;
  }

  async #receive(generation: number, signal: AbortSignal): Promise<void> {
    const host = this.#host;
    let failures = 0;
    while (generation === this.#generation && host.active()) {
      try {
        const cursor = host.cursor();
        const options = { timeoutMs: host.timing.POLL_TIMEOUT_MS, signal };
        const page = "afterRev" in cursor ? await host.api.pollChanges(host.conversationId, cursor.afterRev, options) : await host.api.poll(host.conversationId, cursor.afterSeq, options);
        if (generation !== this.#generation) return;
        failures = 0;
        host.deliver(page.messages, "afterRev" in cursor);
      } catch (err) {
        if (generation !== this.#generation) return;
        if (err instanceof ParleyError && (err.code === "not_found" || err.code === "forbidden")) {
          host.refused(err.code === "not_found" ? 404 : 403, err.message);
          return;
        }
        failures += 1;
        const wait = err instanceof ParleyError && err.retryAfterMs !== undefined ? err.retryAfterMs : backoffDelay(failures, host.timing);
        await sleep(wait, signal);
      }
    }
  }

  /** Sends the outbox over REST while polling, oldest first, one at a time. */
  async pump(): Promise<void> {
    const host = this.#host;
    if (this.#sending) return;
    this.#sending = true;
    let failures = 0;
    try {
      while (host.active()) {
        const now = Date.now();
        const paused = host.outbox.pausedFor(now);
        if (paused > 0) {
          await sleep(paused);
          continue;
        }
        const [data] = host.outbox.take(now);
        if (!data) return;
        try {
          const ack = await host.api.send(host.conversationId, data.body, {
            clientMsgId: data.client_msg_id,
            ...(data.reply_to_seq !== undefined ? { replyToSeq: data.reply_to_seq } : {}),
            ...(data.attachments?.length ? { attachments: data.attachments } : {}),
          });
          failures = 0;
          if (host.outbox.ack(data.client_msg_id)) host.acked(ack);
        } catch (err) {
          if (err instanceof ParleyError && err.code !== "rate_limited" && err.code !== "internal" && err.code !== "unauthorized") {
            if (host.outbox.drop(data.client_msg_id)) host.sendFailed(data.client_msg_id, data.body, errorBody(err.code, err.message));
            continue;
          }
          // Retryable, or the network: the message goes back in its place under the same id.
          failures += 1;
          const wait = err instanceof ParleyError && err.retryAfterMs !== undefined ? err.retryAfterMs : backoffDelay(failures, host.timing);
          host.outbox.retryAt(data.client_msg_id, Date.now() + wait);
        }
      }
    } finally {
      this.#sending = false;
    }
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
