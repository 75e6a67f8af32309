/**
 * The messaging workloads (W1, W2, W4, W5): R rooms of M members, every
 * member online with one joined socket, the first S members of each room
 * sending. Either closed loop — each sender keeps one message in flight and
 * sends the next when the ack arrives (W1, W2: what rate can the engine
 * sustain?) — or open loop — each sender sends one message every interval
 * whatever happens, from a random start within the first interval (W4, W5:
 * how long do deliveries take at a given load?).
 *
 * Timeline of one run: open and join every socket; wait until the engine is
 * quiet; send for BENCH_WARMUP_MS unmeasured, then for the window; stop
 * sending; wait until every message sent in the window has reached every
 * socket of its room (at most DRAIN_MS); then a fixed TAIL_MS, so that work
 * the engine defers (Parley's inbox updates go out 250 ms after a message)
 * falls inside the CPU window. The CPU window runs from the start of the
 * measured window to the end of the tail, and its deliveries are every
 * `message.new` received in it.
 *
 * Every sender is paced by a mirror of the send limit its socket's
 * `hello.ack` announced (pacer.ts): an engine that still limits is paced,
 * never refused, and the result says how much of the window went to
 * waiting for tokens.
 */
import { SeqCheck, closeAll, failureKind, range } from "../context.ts";
import { Pacer, type SendRate } from "../pacer.ts";
import { type BenchSocket, FrameError } from "../socket.ts";
import { type Summary, Tally, round, sleep, summarize } from "../stats.ts";
import type { Target } from "../targets.ts";
import { type CpuWindow, Phases, type Settled, type WorkloadContext, cpuSince, meter, msPer1000, openEndpoints, settle } from "./shared.ts";

export interface MessagingSpec {
  rooms: number;
  members: number;
  /** Senders per room: its first members. */
  senders: number;
  /** Open loop: one send per sender every this many ms. Undefined: closed loop. */
  intervalMs?: number;
  seconds: number;
  /** The user number of member `member` of room `room`. */
  user(room: number, member: number): number;
  /** A pause between making the rooms and opening the sockets (see BenchConfig.w5RestMs). */
  restMs?: number;
}

export interface MessagingResult {
  rooms: number;
  members_per_room: number;
  senders: number;
  loop: "closed" | "open";
  interval_ms?: number;
  warmup_ms: number;
  seconds: number;
  /** What the target's hello.ack announced, and the pacer mirrored. */
  send_rate: SendRate;
  settle_before: Settled;
  sent: number;
  acked: number;
  /** Acks that arrived inside the window. */
  acked_in_window: number;
  acked_per_s: number;
  /** Send → the sender's message.ack, for messages sent inside the window. */
  ack_ms: Summary | undefined;
  /** Send → each room socket's message.new (the sender's own included), messages sent inside the window. */
  delivery_ms: Summary | undefined;
  /** For the messages sent and acked inside the window: acked × members of the room. */
  deliveries_expected: number;
  deliveries_received: number;
  /** False if DRAIN_MS ran out before every expected delivery arrived. */
  drained: boolean;
  /** message.new with a client_msg_id this run never sent. */
  unknown_deliveries: number;
  seq_gaps: number;
  seq_repeats: number;
  failures: Record<string, number>;
  rate_limited: number;
  /** Closed loop: share of the senders' window time spent waiting for a send token. */
  token_wait_share?: number;
  /** Open loop: sends the pacer delayed past their slot. */
  paced_sends?: number;
  /** Open loop: how late each send left after its slot (the client's own lag), ms. */
  send_lag_ms?: Summary | undefined;
  /** message.new received during the CPU window. */
  deliveries_in_cpu_window: number;
  cpu: CpuWindow;
  workerd_cpu_ms_per_1000_deliveries: number | undefined;
  runtime_cpu_ms_per_1000_deliveries: number | undefined;
  group_cpu_ms_per_1000_deliveries: number | undefined;
  /** Sockets the server closed during the run. */
  closed_by_server: number;
  /** Wall time of each phase, seconds: rooms (sign-ins and groups), open (all sockets joined), settle, send (warm-up and window), drain (and tail), close. */
  phases_s: Record<string, number>;
}

/** Longest wait after the window for the deliveries of its messages. */
const DRAIN_MS = 5000;
/** Fixed time after the drain still counted in the CPU window (the same for both targets). */
const TAIL_MS = 1000;

interface Sent {
  at: number;
  measured: boolean;
}

export async function runMessaging(ctx: WorkloadContext, target: Target, spec: MessagingSpec, label: string): Promise<MessagingResult> {
  const { config, body } = ctx;
  const phases = new Phases(ctx, label);
  const memberLists = range(spec.rooms).map((k) => range(spec.members).map((j) => spec.user(k, j)));
  const ids = await target.rooms(label, memberLists);
  phases.done("rooms");
  if (spec.restMs) {
    await sleep(spec.restMs);
    phases.done("rest");
  }
  const sockets = await openEndpoints(ctx, ids.flatMap((id, k) => memberLists[k]!.map((u) => target.endpoint(id, u))));
  phases.done("open", `${sockets.length} sockets joined`);
  try {
    const sent = new Map<string, Sent>();
    const checks = sockets.map(() => new SeqCheck());
    const deliveryMs: number[] = [];
    let deliveries = 0;
    let measuredArrivals = 0;
    let unknown = 0;
    sockets.forEach((socket, i) => {
      const check = checks[i]!;
      socket.onFrame = (frame, at) => {
        if (frame.type !== "message.new") return;
        deliveries++;
        const message = frame.data.message as { seq: number; client_msg_id: string };
        check.observe(message.seq);
        const s = sent.get(message.client_msg_id);
        if (!s) unknown++;
        else if (s.measured) {
          measuredArrivals++;
          deliveryMs.push(at - s.at);
        }
      };
    });

    const settleBefore = await settle(ctx);
    phases.done("settle");
    const rate = sockets[0]!.helloAck!.limits.send_rate;
    const ackMs: number[] = [];
    const lagMs: number[] = [];
    const failures = new Tally();
    let sentCount = 0;
    let acked = 0;
    let ackedInWindow = 0;
    let expected = 0;
    let rateLimited = 0;
    let tokenWaitMs = 0;
    let paced = 0;

    const start = performance.now();
    const windowStart = start + config.warmupMs;
    const end = windowStart + spec.seconds * 1000;
    let before: ReturnType<typeof meter> | undefined;
    let deliveriesAtStart = 0;
    const startTimer = setTimeout(() => {
      before = meter(ctx);
      deliveriesAtStart = deliveries;
      void ctx.profileWindow?.("start", target.name, label);
    }, config.warmupMs);

    const sendOne = async (socket: BenchSocket, pacer: Pacer, clientMsgId: string) => {
      const t0 = performance.now();
      const record: Sent = { at: t0, measured: t0 >= windowStart && t0 < end };
      sent.set(clientMsgId, record);
      sentCount++;
      try {
        const { ack, at } = await socket.send(clientMsgId, body, config.opTimeoutMs);
        pacer.accepted(ack.created_at);
        acked++;
        if (at >= windowStart && at <= end) ackedInWindow++;
        if (record.measured) {
          ackMs.push(at - t0);
          expected += spec.members;
        }
      } catch (e) {
        failures.add(failureKind(e));
        if (e instanceof FrameError && e.body.code === "rate_limited") {
          rateLimited++;
          await sleep(e.body.retry_after_ms ?? 100);
        }
      }
    };

    const closedLoop = async (socket: BenchSocket, g: number) => {
      const pacer = new Pacer(socket.helloAck!.limits.send_rate);
      let n = 0;
      for (let now = performance.now(); now < end && socket.isOpen; now = performance.now()) {
        const wait = pacer.delayMs();
        if (wait > 0) {
          const w = Math.min(wait, end - now);
          tokenWaitMs += Math.max(0, Math.min(now + w, end) - Math.max(now, windowStart));
          await sleep(w);
          continue;
        }
        await sendOne(socket, pacer, `m${g}-${n++}`);
      }
    };

    const openLoop = async (socket: BenchSocket, g: number, intervalMs: number) => {
      const pacer = new Pacer(socket.helloAck!.limits.send_rate);
      const inFlight: Array<Promise<void>> = [];
      let n = 0;
      // Slots are fixed in advance: a late send does not push the next one back.
      for (let slot = start + Math.random() * intervalMs; slot < end && socket.isOpen; slot += intervalMs) {
        const delay = slot - performance.now();
        if (delay > 0) await sleep(delay);
        const wait = pacer.delayMs();
        if (wait > 0) {
          paced++;
          await sleep(wait);
        }
        if (slot >= windowStart) lagMs.push(performance.now() - slot);
        inFlight.push(sendOne(socket, pacer, `m${g}-${n++}`));
      }
      await Promise.all(inFlight);
    };

    const senders = range(spec.rooms).flatMap((k) => range(spec.senders).map((j) => ({ socket: sockets[k * spec.members + j]!, g: k * spec.senders + j })));
    try {
      await Promise.all(senders.map(({ socket, g }) => (spec.intervalMs === undefined ? closedLoop(socket, g) : openLoop(socket, g, spec.intervalMs))));
    } finally {
      clearTimeout(startTimer);
    }
    await ctx.profileWindow?.("stop", target.name, label);
    phases.done("send", `${sentCount} messages`);
    const drainUntil = performance.now() + DRAIN_MS;
    while (measuredArrivals < expected && performance.now() < drainUntil) await sleep(20);
    const drained = measuredArrivals >= expected;
    await sleep(TAIL_MS);
    // A window shorter than the warm-up timer cannot happen (the senders run past it), but be safe.
    const cpu = cpuSince(ctx, before ?? meter(ctx));
    const inWindow = deliveries - deliveriesAtStart;
    const totalSenders = senders.length;
    phases.done("drain");
    const closedByServer = sockets.filter((s) => s.closedWith !== undefined).length;
    await closeAll(sockets);
    phases.done("close");
    return {
      rooms: spec.rooms,
      members_per_room: spec.members,
      senders: totalSenders,
      loop: spec.intervalMs === undefined ? "closed" : "open",
      ...(spec.intervalMs !== undefined ? { interval_ms: spec.intervalMs } : {}),
      warmup_ms: config.warmupMs,
      seconds: spec.seconds,
      send_rate: rate,
      settle_before: settleBefore,
      sent: sentCount,
      acked,
      acked_in_window: ackedInWindow,
      acked_per_s: round(ackedInWindow / spec.seconds, 1),
      ack_ms: summarize(ackMs),
      delivery_ms: summarize(deliveryMs),
      deliveries_expected: expected,
      deliveries_received: measuredArrivals,
      drained,
      unknown_deliveries: unknown,
      seq_gaps: checks.reduce((a, c) => a + c.gaps, 0),
      seq_repeats: checks.reduce((a, c) => a + c.repeats, 0),
      failures: failures.counts,
      rate_limited: rateLimited,
      ...(spec.intervalMs === undefined
        ? { token_wait_share: round(tokenWaitMs / (totalSenders * spec.seconds * 1000), 3) }
        : { paced_sends: paced, send_lag_ms: summarize(lagMs) }),
      deliveries_in_cpu_window: inWindow,
      cpu,
      workerd_cpu_ms_per_1000_deliveries: msPer1000(cpu.workerd_s, inWindow),
      runtime_cpu_ms_per_1000_deliveries: msPer1000(cpu.runtime_s, inWindow),
      group_cpu_ms_per_1000_deliveries: msPer1000(cpu.group_s, inWindow),
      closed_by_server: closedByServer,
      phases_s: phases.record,
    };
  } finally {
    await closeAll(sockets);
  }
}
