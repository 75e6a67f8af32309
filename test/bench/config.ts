/**
 * Benchmark parameters: every one has a default, can be overridden by an
 * environment variable, and is clamped to a range so that no setting can make
 * a run unbounded. docs/benchmarks.md lists them; keep the two in step.
 */

/**
 * In the order they run: the quiet latency measurements first, on an engine
 * that has not yet carried load, then the loaded ones.
 */
export const SCENARIOS = ["latency", "rest", "fanout", "throughput", "connections"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchConfig {
  scenarios: ScenarioName[];
  /** Sequential socket sends measured by the latency scenario. */
  latencySends: number;
  /** Unmeasured sends before the latency and REST scenarios (in a conversation of their own). */
  warmupSends: number;
  /** Members of the fan-out group, all online. */
  fanoutMembers: number;
  /** Messages sent into the fan-out group, one at a time. */
  fanoutMessages: number;
  /** Length of the throughput run. */
  throughputSeconds: number;
  throughputConversations: number;
  /** Senders per throughput conversation; every member of it sends. */
  throughputSenders: number;
  /** Sockets the connection scenario opens, handshakes and joins. */
  connections: number;
  connectionsPerConversation: number;
  /** Distinct users behind the connection sockets. */
  connectionUsers: number;
  /** Connection attempts in flight at once. */
  connectConcurrency: number;
  /** Sequential REST sends measured. */
  restSends: number;
  /** Characters in every message body. */
  bodyChars: number;
  /** Deadline for any one awaited step (an ack, a join, an HTTP call). */
  opTimeoutMs: number;
  /** Hard limit for the whole run, engine start included. */
  timeLimitSeconds: number;
  outDir: string;
  verbose: boolean;
}

interface IntSpec {
  env: string;
  fallback: number;
  min: number;
  max: number;
}

const INTS = {
  latencySends: { env: "BENCH_LATENCY_SENDS", fallback: 500, min: 1, max: 5000 },
  warmupSends: { env: "BENCH_WARMUP_SENDS", fallback: 20, min: 0, max: 200 },
  fanoutMembers: { env: "BENCH_FANOUT_MEMBERS", fallback: 50, min: 2, max: 500 },
  fanoutMessages: { env: "BENCH_FANOUT_MESSAGES", fallback: 40, min: 1, max: 1000 },
  throughputSeconds: { env: "BENCH_THROUGHPUT_SECONDS", fallback: 10, min: 1, max: 60 },
  throughputConversations: { env: "BENCH_THROUGHPUT_CONVERSATIONS", fallback: 50, min: 1, max: 500 },
  throughputSenders: { env: "BENCH_THROUGHPUT_SENDERS", fallback: 4, min: 1, max: 50 },
  connections: { env: "BENCH_CONNECTIONS", fallback: 500, min: 1, max: 5000 },
  connectionsPerConversation: { env: "BENCH_CONNECTIONS_PER_CONVERSATION", fallback: 10, min: 1, max: 1000 },
  connectionUsers: { env: "BENCH_CONNECTION_USERS", fallback: 100, min: 1, max: 5000 },
  connectConcurrency: { env: "BENCH_CONNECT_CONCURRENCY", fallback: 50, min: 1, max: 500 },
  restSends: { env: "BENCH_REST_SENDS", fallback: 300, min: 1, max: 5000 },
  bodyChars: { env: "BENCH_BODY_CHARS", fallback: 100, min: 1, max: 4000 },
  opTimeoutMs: { env: "BENCH_OP_TIMEOUT_MS", fallback: 10_000, min: 1000, max: 60_000 },
  timeLimitSeconds: { env: "BENCH_TIME_LIMIT_SECONDS", fallback: 180, min: 30, max: 1800 },
} satisfies Record<string, IntSpec>;

/** Reads the configuration from `env`; throws on a value that is not a number or not a scenario. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const ints = {} as Record<keyof typeof INTS, number>;
  for (const [key, spec] of Object.entries(INTS) as Array<[keyof typeof INTS, IntSpec]>) {
    ints[key] = readInt(env, spec);
  }
  const scenarios = readScenarios(env.BENCH_SCENARIOS);
  if (ints.connectionsPerConversation > ints.connectionUsers) {
    throw new Error(
      `BENCH_CONNECTIONS_PER_CONVERSATION (${ints.connectionsPerConversation}) exceeds BENCH_CONNECTION_USERS (${ints.connectionUsers}): a conversation needs that many distinct members.`,
    );
  }
  return {
    scenarios,
    ...ints,
    outDir: env.BENCH_OUT_DIR?.trim() || "bench/results",
    verbose: env.BENCH_VERBOSE === "1" || env.BENCH_VERBOSE === "true",
  };
}

/** Every variable the suite reads, with its default and range (printed by `--help`). */
export function describeConfig(): string {
  const lines = Object.values(INTS).map((s: IntSpec) => `  ${s.env.padEnd(36)} default ${String(s.fallback).padEnd(6)} range ${s.min}..${s.max}`);
  return [
    `  ${"BENCH_SCENARIOS".padEnd(36)} default ${SCENARIOS.join(",")}`,
    ...lines,
    `  ${"BENCH_OUT_DIR".padEnd(36)} default bench/results`,
    `  ${"BENCH_VERBOSE".padEnd(36)} default 0 (1 echoes wrangler's output)`,
  ].join("\n");
}

function readInt(env: NodeJS.ProcessEnv, spec: IntSpec): number {
  const raw = env[spec.env]?.trim();
  if (!raw) return spec.fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${spec.env}=${raw}: expected a whole number (${spec.min}..${spec.max}).`);
  return Math.min(spec.max, Math.max(spec.min, n));
}

function readScenarios(raw: string | undefined): ScenarioName[] {
  if (!raw?.trim()) return [...SCENARIOS];
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) {
      throw new Error(`BENCH_SCENARIOS: unknown scenario "${name}"; choose from ${SCENARIOS.join(", ")}.`);
    }
  }
  return SCENARIOS.filter((s) => names.includes(s));
}
