import type { Env } from "../src/env.ts";
import { Counters } from "../src/shared/counters.ts";

/**
 * The Worker's own counters (decision 0033): REST errors by code and the
 * send→ack latency of REST sends (the time from the Worker's call to the
 * conversation's answer, which comes only after the message is durable).
 * Each is a map update in this isolate, plus, in production, a data point
 * to Analytics Engine (`writeDataPoint` queues it without waiting). The
 * local operator route reads this isolate's counters: under `wrangler dev`
 * there is one.
 */
export const workerCounters = new Counters();

export function countError(env: Env, code: string): void {
  workerCounters.add(`errors.${code}`);
  env.ANALYTICS?.writeDataPoint({ blobs: [`errors.${code}`, "worker", "counter"], doubles: [1], indexes: [`errors.${code}`] });
}

export function countSendLatency(env: Env, ms: number): void {
  workerCounters.latency(ms);
  env.ANALYTICS?.writeDataPoint({ blobs: ["send_ack_ms", "worker", "latency"], doubles: [ms], indexes: ["send_ack_ms"] });
}
