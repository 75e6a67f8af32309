/**
 * Counters kept in an actor's memory (or a Worker isolate's), for the
 * operators' view (src/admin/metrics.ts flushes them; decision 0033).
 * Counting is a map update: no RPC, no storage write.
 */

/** Least time between two flushes of one actor's counters. */
export const FLUSH_MS = 10_000;
/** Upper bounds (ms) of the send→ack latency histogram. */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500];

export interface Snapshot {
  counters: Record<string, number>;
  gauges: Record<string, number>;
}

export class Counters {
  #counters = new Map<string, number>();
  #gauges = new Map<string, number>();
  #lastFlush = 0;

  add(name: string, n = 1): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + n);
  }

  gauge(name: string, value: number): void {
    this.#gauges.set(name, value);
  }

  /** One observation of the send→ack latency. */
  latency(ms: number): void {
    const le = LATENCY_BUCKETS_MS.find((b) => ms <= b);
    this.add(`send_ack_ms.le_${le ?? "inf"}`);
    this.add("send_ack_ms.count");
    this.add("send_ack_ms.sum", Math.round(ms));
  }

  get dirty(): boolean {
    return this.#counters.size > 0 || this.#gauges.size > 0;
  }

  /** When a flush is due (undefined: nothing to flush). */
  dueAt(): number | undefined {
    return this.dirty ? Math.max(this.#lastFlush + FLUSH_MS, Date.now()) : undefined;
  }

  /** Takes what was counted since the last flush (the counters restart at zero). */
  take(now: number): Snapshot {
    const snap = { counters: Object.fromEntries(this.#counters), gauges: Object.fromEntries(this.#gauges) };
    this.#counters.clear();
    this.#gauges.clear();
    this.#lastFlush = now;
    return snap;
  }

  /** Reads without taking (the Worker's own counters, read by the metrics route of the same isolate). */
  peek(): Snapshot {
    return { counters: Object.fromEntries(this.#counters), gauges: Object.fromEntries(this.#gauges) };
  }
}

