/**
 * Benchmark parameters: every one has a default, can be overridden by an
 * environment variable, and is clamped to a range so that no setting can make
 * a run unbounded. docs/benchmarks.md lists them; keep the two in step.
 */

/**
 * The workloads of the floor comparison: each runs against the floor and
 * against Parley (workloads/, compare.ts). They are what `npm run bench`
 * runs by default.
 */
export const WORKLOADS = ["w1", "w2", "w3", "w4", "w5"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/**
 * The scenarios that measure Parley alone (scenarios/), kept for
 * comparison with earlier results; `BENCH_SCENARIOS=legacy` runs them all.
 * In the order they run: the quiet latency measurements first, then the
 * loaded ones.
 */
export const LEGACY = ["latency", "rest", "fanout", "throughput", "connections"] as const;
export type LegacyName = (typeof LEGACY)[number] | (typeof EXTRAS)[number];

/**
 * Measurements of Parley alone that run by default after the workloads:
 * features the floor does not have (search).
 */
export const EXTRAS = ["search", "catchup"] as const;

/** Everything that can run, in the order it runs. */
export const SCENARIOS = [...WORKLOADS, ...EXTRAS, ...LEGACY] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const isWorkload = (name: ScenarioName): name is WorkloadName => (WORKLOADS as readonly string[]).includes(name);

export interface BenchConfig {
  scenarios: ScenarioName[];
  /** Runs of each workload per target; repetitions alternate which target goes first. */
  repeat: number;
  /** Pin the engine to CPU 0 and the bench to CPU 1 (BENCH_PIN=0 disables). */
  pin: boolean;
  /** `--var` settings of the engine, after the bench's own (BENCH_ENGINE_VARS="A:1,B:2"). */
  engineVars: Record<string, string>;
  /** Unmeasured sending before each measured window. */
  warmupMs: number;
  /** Longest wait for the engine to go quiet before a window (set-up work, a closed workload's leftovers). */
  settleMs: number;
  /** W1: one conversation, this many senders, one message in flight each. */
  w1Senders: number;
  w1Seconds: number;
  /** W2: conversations × senders, every member sending, one message in flight each. */
  w2Conversations: number;
  w2Senders: number;
  w2Seconds: number;
  /** W3: sockets opened, spread over groups, behind a pool of users (Parley). */
  w3Sockets: number;
  w3Groups: number;
  w3Users: number;
  /** W4: one conversation, every member sends one message every interval (open loop). */
  w4Members: number;
  w4IntervalMs: number;
  w4Seconds: number;
  /** W5: one group, all members online, a few of them sending one message every interval (open loop). */
  w5Members: number;
  w5Senders: number;
  /**
   * Pause after W5's rooms are made and before its sockets open (both
   * targets): on Parley the set-up signs a thousand users in and tells every
   * member's inbox of the new group, and `wrangler dev` evicts the actors it
   * woke some tens of seconds later, each closing its SQLite file (an fsync)
   * on the one runtime thread. The pause keeps that set-up aftermath out of
   * the measured window (docs/benchmarks.md, "W5 and the set-up's aftermath").
   */
  w5RestMs: number;
  w5IntervalMs: number;
  w5Seconds: number;
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
  /** search: messages in the searched conversation, searches made, conversations of the user searching them all. */
  searchMessages: number;
  searchQueries: number;
  searchConversations: number;
  /** catchup: messages missed, and readers timed (as many again with pages of 200). */
  catchupMessages: number;
  catchupRuns: number;
  outDir: string;
  verbose: boolean;
  /** Record a CPU profile of the engine during Parley's measured window of each workload (BENCH_PROFILE=1). */
  profile: boolean;
}

interface IntSpec {
  env: string;
  fallback: number;
  min: number;
  max: number;
}

const INTS = {
  repeat: { env: "BENCH_REPEAT", fallback: 1, min: 1, max: 5 },
  warmupMs: { env: "BENCH_WARMUP_MS", fallback: 1000, min: 0, max: 10_000 },
  settleMs: { env: "BENCH_SETTLE_MS", fallback: 20_000, min: 1000, max: 120_000 },
  w1Senders: { env: "BENCH_W1_SENDERS", fallback: 10, min: 1, max: 100 },
  w1Seconds: { env: "BENCH_W1_SECONDS", fallback: 8, min: 1, max: 60 },
  w2Conversations: { env: "BENCH_W2_CONVERSATIONS", fallback: 50, min: 1, max: 500 },
  w2Senders: { env: "BENCH_W2_SENDERS", fallback: 4, min: 1, max: 50 },
  w2Seconds: { env: "BENCH_W2_SECONDS", fallback: 8, min: 1, max: 60 },
  w3Sockets: { env: "BENCH_W3_SOCKETS", fallback: 2000, min: 1, max: 5000 },
  w3Groups: { env: "BENCH_W3_GROUPS", fallback: 20, min: 1, max: 500 },
  w3Users: { env: "BENCH_W3_USERS", fallback: 200, min: 1, max: 5000 },
  w4Members: { env: "BENCH_W4_MEMBERS", fallback: 50, min: 2, max: 500 },
  w4IntervalMs: { env: "BENCH_W4_INTERVAL_MS", fallback: 500, min: 50, max: 10_000 },
  w4Seconds: { env: "BENCH_W4_SECONDS", fallback: 10, min: 1, max: 60 },
  w5Members: { env: "BENCH_W5_MEMBERS", fallback: 1000, min: 2, max: 1000 },
  w5Senders: { env: "BENCH_W5_SENDERS", fallback: 10, min: 1, max: 100 },
  w5RestMs: { env: "BENCH_W5_REST_MS", fallback: 60_000, min: 0, max: 180_000 },
  w5IntervalMs: { env: "BENCH_W5_INTERVAL_MS", fallback: 1000, min: 50, max: 10_000 },
  w5Seconds: { env: "BENCH_W5_SECONDS", fallback: 10, min: 1, max: 60 },
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
  timeLimitSeconds: { env: "BENCH_TIME_LIMIT_SECONDS", fallback: 1200, min: 30, max: 3600 },
  searchMessages: { env: "BENCH_SEARCH_MESSAGES", fallback: 100_000, min: 100, max: 200_000 },
  searchQueries: { env: "BENCH_SEARCH_QUERIES", fallback: 200, min: 1, max: 2000 },
  searchConversations: { env: "BENCH_SEARCH_CONVERSATIONS", fallback: 200, min: 1, max: 500 },
  catchupMessages: { env: "BENCH_CATCHUP_MESSAGES", fallback: 10_000, min: 100, max: 100_000 },
  catchupRuns: { env: "BENCH_CATCHUP_RUNS", fallback: 5, min: 1, max: 20 },
} satisfies Record<string, IntSpec>;

/** Reads the configuration from `env`; throws on a value that is not a number or not a scenario. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const ints = {} as Record<keyof typeof INTS, number>;
  for (const [key, spec] of Object.entries(INTS) as Array<[keyof typeof INTS, IntSpec]>) {
    ints[key] = readInt(env, spec);
  }
  const scenarios = readScenarios(env.BENCH_SCENARIOS);
  const w3PerGroup = Math.ceil(ints.w3Sockets / Math.min(ints.w3Groups, ints.w3Sockets));
  if (w3PerGroup > ints.w3Users) {
    throw new Error(
      `BENCH_W3_SOCKETS ÷ BENCH_W3_GROUPS (${w3PerGroup} sockets per group) exceeds BENCH_W3_USERS (${ints.w3Users}): each socket of a group needs a distinct member.`,
    );
  }
  if (ints.w5Senders > ints.w5Members) {
    throw new Error(`BENCH_W5_SENDERS (${ints.w5Senders}) exceeds BENCH_W5_MEMBERS (${ints.w5Members}): the senders are members.`);
  }
  if (ints.connectionsPerConversation > ints.connectionUsers) {
    throw new Error(
      `BENCH_CONNECTIONS_PER_CONVERSATION (${ints.connectionsPerConversation}) exceeds BENCH_CONNECTION_USERS (${ints.connectionUsers}): a conversation needs that many distinct members.`,
    );
  }
  return {
    scenarios,
    ...ints,
    pin: !["0", "false", "no"].includes(env.BENCH_PIN?.trim().toLowerCase() ?? ""),
    engineVars: readVars(env.BENCH_ENGINE_VARS),
    outDir: env.BENCH_OUT_DIR?.trim() || "bench/results",
    verbose: env.BENCH_VERBOSE === "1" || env.BENCH_VERBOSE === "true",
    profile: env.BENCH_PROFILE === "1" || env.BENCH_PROFILE === "true",
  };
}

/** Every variable the suite reads, with its default and range (printed by `--help`). */
export function describeConfig(): string {
  const lines = Object.values(INTS).map((s: IntSpec) => `  ${s.env.padEnd(36)} default ${String(s.fallback).padEnd(6)} range ${s.min}..${s.max}`);
  return [
    `  ${"BENCH_SCENARIOS".padEnd(36)} default ${WORKLOADS.join(",")}; also ${LEGACY.join(",")}, "legacy" (those five), "all"`,
    `  ${"BENCH_PIN".padEnd(36)} default 1 (engine on the first allowed CPU, bench on the second; 0 disables)`,
    `  ${"BENCH_ENGINE_VARS".padEnd(36)} default none (e.g. LOG_LEVEL:warn,HEARTBEAT_MS:60000; added after SEND_RATE, AUTH_RATE_LIMIT, LOG_LEVEL)`,
    ...lines,
    `  ${"BENCH_OUT_DIR".padEnd(36)} default bench/results`,
    `  ${"BENCH_VERBOSE".padEnd(36)} default 0 (1 echoes wrangler's output)`,
    `  ${"BENCH_PROFILE".padEnd(36)} default 0 (1 records a CPU profile of Parley's measured window of each workload: <out>/<stamp>.<workload>.cpuprofile, top functions in the JSON)`,
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
  if (!raw?.trim()) return [...WORKLOADS, ...EXTRAS];
  const names = new Set<string>();
  for (const name of raw.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (name === "legacy") LEGACY.forEach((n) => names.add(n));
    else if (name === "all") SCENARIOS.forEach((n) => names.add(n));
    else if ((SCENARIOS as readonly string[]).includes(name)) names.add(name);
    else throw new Error(`BENCH_SCENARIOS: unknown scenario "${name}"; choose from ${SCENARIOS.join(", ")}, legacy, all.`);
  }
  return SCENARIOS.filter((s) => names.has(s));
}

/** "A:1,B:2" → {A: "1", B: "2"}; a value may hold ":" (split at the first one) but not ",". */
function readVars(raw: string | undefined): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of (raw ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const at = pair.indexOf(":");
    if (at <= 0) throw new Error(`BENCH_ENGINE_VARS: "${pair}" is not NAME:value (pairs separated by commas).`);
    vars[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return vars;
}
