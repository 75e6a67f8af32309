/**
 * The floor comparison: each workload W1–W5 runs against the floor and
 * against Parley, one after the other on the same engine, BENCH_REPEAT
 * times, alternating which goes first (floor first in the first repetition),
 * so that both meet the same machine. Each measure is the median over the
 * repetitions; the table shows floor, Parley, Parley ÷ floor, and — as
 * information, never as a pass or fail of the run — whether the issue's
 * target for that measure was met.
 */
import { cpus } from "node:os";
import type { BenchConfig, WorkloadName } from "./config.ts";
import type { Outcome } from "./context.ts";
import { median, round } from "./stats.ts";
import { TARGET_ORDER, type TargetName } from "./targets.ts";
import { type ConnectResult, runConnect } from "./workloads/connect.ts";
import { type MessagingResult, runMessaging } from "./workloads/messaging.ts";
import { type Settled, type WorkloadContext, settle } from "./workloads/shared.ts";

/** One line of the comparison table: numbers with a ratio, or text (counts, memory steps). */
export interface CompareRow {
  workload: string;
  measure: string;
  floor: string;
  parley: string;
  /** Parley ÷ floor. */
  ratio?: number;
  /** The issue's target, in words ("≥ 0.8× floor"). */
  target?: string;
  met?: boolean;
}

export interface TargetRun {
  ok: boolean;
  error?: string;
  wall_s: number;
  result?: MessagingResult | ConnectResult;
  /** The wait for the engine to go quiet after the run's sockets closed. */
  settle_after?: Settled;
}

export interface ComparisonRecord {
  workload: string;
  title: string;
  design: string;
  /** One entry per repetition, each target's run in the order it ran. */
  repetitions: Array<{ order: TargetName[]; runs: Partial<Record<TargetName, TargetRun>> }>;
  rows: CompareRow[];
  notes: string[];
}

/** All CPUs of the machine (availableParallelism() would say 1 once this process is pinned). */
const MACHINE_CPUS = cpus().length;

interface Goal {
  text: string;
  met(floor: number, parley: number): boolean;
}

const atLeast = (k: number): Goal => ({ text: `≥ ${k}× floor`, met: (f, p) => p >= k * f });
const atMost = (k: number, text = `≤ ${k}× floor`): Goal => ({ text, met: (f, p) => p <= k * f });
const below = (ms: number): Goal => ({ text: `Parley < ${ms} ms`, met: (_, p) => p < ms });

type Measure<R> =
  | { label: string; digits: number; pick(r: R): number | undefined; goal?: Goal }
  | { label: string; text(r: R): string };

interface Workload<R> {
  title: string;
  design: string;
  run(ctx: WorkloadContext, target: TargetName, label: string): Promise<R>;
  measures: Array<Measure<R>>;
}

function messagingMeasures(options: { rateGoal?: boolean; p95Below?: number; p99Goal?: boolean; deliveryFirst?: boolean }): Array<Measure<MessagingResult>> {
  const rate: Measure<MessagingResult> = { label: "acked/s", digits: 1, pick: (r) => r.acked_per_s, ...(options.rateGoal ? { goal: atLeast(0.8) } : {}) };
  const acks: Array<Measure<MessagingResult>> = [
    { label: "ack p50 (ms)", digits: 2, pick: (r) => r.ack_ms?.p50 },
    { label: "ack p99 (ms)", digits: 2, pick: (r) => r.ack_ms?.p99 },
  ];
  const delivery: Array<Measure<MessagingResult>> = [
    { label: "delivery p50 (ms)", digits: 2, pick: (r) => r.delivery_ms?.p50 },
    { label: "delivery p95 (ms)", digits: 2, pick: (r) => r.delivery_ms?.p95, ...(options.p95Below ? { goal: below(options.p95Below) } : {}) },
    { label: "delivery p99 (ms)", digits: 2, pick: (r) => r.delivery_ms?.p99, ...(options.p99Goal ? { goal: atMost(1.5) } : {}) },
  ];
  const rest: Array<Measure<MessagingResult>> = [
    { label: "deliveries received/expected", text: (r) => `${r.deliveries_received}/${r.deliveries_expected}` },
    { label: "workerd CPU ms / 1000 deliveries", digits: 1, pick: (r) => r.workerd_cpu_ms_per_1000_deliveries, goal: atMost(1.25) },
    { label: "  of which runtime", digits: 1, pick: (r) => r.runtime_cpu_ms_per_1000_deliveries },
    { label: "engine group CPU ms / 1000 deliv.", digits: 1, pick: (r) => r.group_cpu_ms_per_1000_deliveries },
  ];
  return options.deliveryFirst ? [...delivery, ...acks, rate, ...rest] : [rate, ...acks, ...delivery, ...rest];
}

const connectMeasures: Array<Measure<ConnectResult>> = [
  { label: "connect all (s)", digits: 2, pick: (r) => r.connect_s, goal: atMost(1.2) },
  { label: "sockets joined", text: (r) => `${r.joined}/${r.sockets}` },
  { label: "open → joined p50 (ms)", digits: 1, pick: (r) => r.open_to_joined_ms?.p50 },
  { label: "open → joined p99 (ms)", digits: 1, pick: (r) => r.open_to_joined_ms?.p99 },
  { label: "workerd RSS per socket (KiB)", digits: 1, pick: (r) => r.rss_per_socket_kib?.workerd, goal: atMost(1.1, "≤ floor + 10 %") },
  { label: "  of which runtime (KiB)", digits: 1, pick: (r) => r.rss_per_socket_kib?.runtime },
  { label: "workerd RSS before→open→closed MiB", text: (r) => [r.rss_before, r.rss_open, r.rss_after_close].map((x) => (x.workerd_kib / 1024).toFixed(0)).join("→") },
  { label: "workerd CPU ms per socket joined", digits: 2, pick: (r) => r.workerd_cpu_ms_per_socket },
];

/** The workloads as the issue defines them, sized by the configuration. */
function workloads(config: BenchConfig): Record<WorkloadName, Workload<MessagingResult> | Workload<ConnectResult>> {
  const w1 = { rooms: 1, members: config.w1Senders, senders: config.w1Senders, seconds: config.w1Seconds, user: (_: number, j: number) => j };
  const w2 = {
    rooms: config.w2Conversations,
    members: config.w2Senders,
    senders: config.w2Senders,
    seconds: config.w2Seconds,
    user: (k: number, j: number) => k * config.w2Senders + j,
  };
  const w4 = { rooms: 1, members: config.w4Members, senders: config.w4Members, intervalMs: config.w4IntervalMs, seconds: config.w4Seconds, user: (_: number, j: number) => j };
  const w5 = { rooms: 1, members: config.w5Members, senders: config.w5Senders, intervalMs: config.w5IntervalMs, seconds: config.w5Seconds, user: (_: number, j: number) => j, restMs: config.w5RestMs };
  const perS = (ms: number) => round(1000 / ms, 2);
  return {
    w1: {
      title: `1 conversation, ${w1.senders} senders, one message in flight each`,
      design: `closed loop: ${w1.senders} members of one group, all online and sending; ${config.warmupMs} ms warm-up, then a ${w1.seconds} s window`,
      run: (ctx, t, label) => runMessaging(ctx, ctx.targets[t], w1, label),
      measures: messagingMeasures({ rateGoal: true }),
    },
    w2: {
      title: `${w2.rooms} conversations × ${w2.senders} senders, one in flight each`,
      design: `closed loop: ${w2.rooms} groups of ${w2.senders} members (${w2.rooms * w2.senders} distinct users), all online and sending; ${config.warmupMs} ms warm-up, then a ${w2.seconds} s window`,
      run: (ctx, t, label) => runMessaging(ctx, ctx.targets[t], w2, label),
      measures: messagingMeasures({ rateGoal: true }),
    },
    w3: {
      title: `${config.w3Sockets} sockets joining ${config.w3Groups} groups`,
      design: `${config.w3Sockets} sockets (upgrade + hello + join), ${config.connectConcurrency} in flight, socket i to group i mod ${config.w3Groups}; members drawn from ${config.w3Users} users (each in several groups, one socket per group); RSS of the workerd processes before, all open, all closed`,
      run: (ctx, t, label) => runConnect(ctx, ctx.targets[t], { sockets: config.w3Sockets, groups: config.w3Groups, users: config.w3Users }, label),
      measures: connectMeasures,
    },
    w4: {
      title: `1 conversation × ${w4.members} members, ${perS(w4.intervalMs)} msg/s each`,
      design: `open loop: ${w4.members} members of one group, all online, each sending one message every ${w4.intervalMs} ms from a random start; ${config.warmupMs} ms warm-up, then a ${w4.seconds} s window; delivery = send → each member's message.new`,
      run: (ctx, t, label) => runMessaging(ctx, ctx.targets[t], w4, label),
      measures: messagingMeasures({ p99Goal: true, deliveryFirst: true }),
    },
    w5: {
      title: `1 group of ${w5.members} online, ${w5.senders} sending ${perS(w5.intervalMs)} msg/s each`,
      design: `open loop: one group of ${w5.members} members, all online; ${w5.senders} of them send one message every ${w5.intervalMs} ms from a random start; ${config.warmupMs} ms warm-up, then a ${w5.seconds} s window; delivery = send → each member's message.new`,
      run: (ctx, t, label) => runMessaging(ctx, ctx.targets[t], w5, label),
      measures: messagingMeasures({ p99Goal: true, p95Below: 100, deliveryFirst: true }),
    },
  };
}

/** Runs one workload on both targets, BENCH_REPEAT times; never throws for a failed run (it is recorded). */
export async function compareWorkload(ctx: WorkloadContext, name: WorkloadName): Promise<Outcome & { compared: CompareRow[] }> {
  const workload = workloads(ctx.config)[name] as Workload<MessagingResult | ConnectResult>;
  const label = name.toUpperCase();
  const repetitions: ComparisonRecord["repetitions"] = [];
  const errors: string[] = [];
  for (let rep = 0; rep < ctx.config.repeat; rep++) {
    const order = rep % 2 === 0 ? [...TARGET_ORDER] : [...TARGET_ORDER].reverse();
    const runs: Partial<Record<TargetName, TargetRun>> = {};
    for (const target of order) {
      ctx.progress(`${label} ${workload.title}: ${target}${ctx.config.repeat > 1 ? ` (repetition ${rep + 1})` : ""}`);
      const started = performance.now();
      let run: TargetRun;
      try {
        const result = await workload.run(ctx, target, `${name}-r${rep}-${target}`);
        run = { ok: true, wall_s: 0, result };
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        ctx.progress(`${label} on ${target} failed: ${error}`);
        errors.push(`${target}: ${error}`);
        run = { ok: false, error, wall_s: 0 };
      }
      // Between runs: whatever the closed sockets left to do is not the next run's cost.
      run.settle_after = await settle(ctx);
      run.wall_s = round((performance.now() - started) / 1000, 2);
      runs[target] = run;
    }
    repetitions.push({ order, runs });
  }

  const rows = workload.measures.map((m) => row(label, m, repetitions));
  const notes = repetitions.flatMap((r, i) => TARGET_ORDER.flatMap((t) => notesOf(r.runs[t], t, ctx.config.repeat > 1 ? `rep ${i + 1} ` : "")));
  const record: ComparisonRecord = { workload: label, title: workload.title, design: workload.design, repetitions, rows, notes };
  return {
    result: record as unknown as Record<string, unknown>,
    rows: [],
    compared: [{ workload: label, measure: workload.title, floor: "", parley: "" }, ...rows, ...notes.map((n) => ({ workload: "", measure: `  note: ${n}`, floor: "", parley: "" }))],
    ...(errors.length > 0 ? { error: errors.join("; ") } : {}),
    ...(name === "w3" ? { plannedRestarts: repetitions.length * TARGET_ORDER.length } : {}),
  };
}

function row<R>(workload: string, measure: Measure<R>, repetitions: ComparisonRecord["repetitions"]): CompareRow {
  const results = (t: TargetName) => repetitions.map((r) => r.runs[t]).filter((x) => x?.ok).map((x) => x!.result as R);
  if ("text" in measure) {
    const cell = (t: TargetName) => results(t).map(measure.text).join("; ") || "failed";
    return { workload: "", measure: measure.label, floor: cell("floor"), parley: cell("parley") };
  }
  const value = (t: TargetName) => median(results(t).map(measure.pick).filter((v): v is number => v !== undefined));
  const [f, p] = [value("floor"), value("parley")];
  const show = (v: number | undefined, t: TargetName) => (v === undefined ? (results(t).length ? "—" : "failed") : v.toFixed(measure.digits));
  const out: CompareRow = { workload: "", measure: measure.label, floor: show(f, "floor"), parley: show(p, "parley") };
  if (f !== undefined && p !== undefined && f > 0) out.ratio = round(p / f, 2);
  if (measure.goal) {
    out.target = measure.goal.text;
    if (f !== undefined && p !== undefined) out.met = measure.goal.met(f, p);
  }
  return out;
}

/** Everything about a run that makes its numbers suspect or explains them. */
function notesOf(run: TargetRun | undefined, target: TargetName, prefix: string): string[] {
  if (!run) return [];
  const who = `${prefix}${target}`;
  if (!run.ok) return [`${who} FAILED: ${run.error}`];
  const r = run.result!;
  const notes: string[] = [];
  const settles = [..."settle_before" in r ? [r.settle_before] : [], ..."settle_open" in r ? [r.settle_open] : []];
  if (settles.some((s) => !s.quiet)) notes.push(`${who}: the engine was still busy when BENCH_SETTLE_MS ran out before measuring`);
  if (Object.keys(r.failures).length > 0) notes.push(`${who}: failures ${JSON.stringify(r.failures)}`);
  if (r.closed_by_server > 0) notes.push(`${who}: ${r.closed_by_server} sockets closed by the server`);
  if ("cpu" in r) {
    if (r.cpu.engine_restarted) notes.push(`${who}: ENGINE RESTARTED during the window (workerd pids changed)`);
    if (r.seq_gaps + r.seq_repeats + r.unknown_deliveries > 0) notes.push(`${who}: seq gaps ${r.seq_gaps}, repeats ${r.seq_repeats}, unknown messages ${r.unknown_deliveries}`);
    if (!r.drained) notes.push(`${who}: only ${r.deliveries_received}/${r.deliveries_expected} deliveries within 5 s of the window`);
    if (r.token_wait_share !== undefined && r.token_wait_share >= 0.01) {
      notes.push(
        `${who}: senders waited for send tokens ${(r.token_wait_share * 100).toFixed(0)}% of the window (hello.ack send_rate ${r.send_rate.messages} per ${r.send_rate.per_ms} ms): limiter-bound`,
      );
    }
    if (r.paced_sends) notes.push(`${who}: ${r.paced_sends} sends held back by the pacer (hello.ack send_rate ${r.send_rate.messages} per ${r.send_rate.per_ms} ms)`);
    if (r.send_lag_ms && r.send_lag_ms.p99 > 20) notes.push(`${who}: the client sent late (send lag p99 ${r.send_lag_ms.p99.toFixed(0)} ms)`);
    const busy = r.cpu.other_s === undefined ? 0 : r.cpu.other_s / (r.cpu.seconds * MACHINE_CPUS);
    if (busy > 0.1) notes.push(`${who}: other processes used ${(busy * 100).toFixed(0)}% of the machine during the window`);
  } else if (r.connect_cpu.engine_restarted) {
    notes.push(`${who}: ENGINE RESTARTED while connecting`);
  }
  return notes;
}
