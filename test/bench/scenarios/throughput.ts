/**
 * Scenario 3: throughput. Many group conversations, every member online and
 * sending, for a fixed time. Each sender keeps one message in flight (it
 * sends the next when the ack of the last arrives) and is paced by a mirror
 * of its rate bucket, so the engine never has to refuse a send. The rate
 * limit therefore caps what the run can offer: the result reports that
 * ceiling and how much of the senders' time went to waiting for tokens, so a
 * reader can tell a limiter-bound run from an engine-bound one.
 */
import { type BenchContext, type Outcome, SeqCheck, closeAll, failureKind, loginAll, openAll, range } from "../context.ts";
import { Pacer } from "../pacer.ts";
import { cpuByRole } from "../procs.ts";
import { FrameError, type BenchSocket } from "../socket.ts";
import { Tally, mapLimit, round, sleep, summarize } from "../stats.ts";

export async function throughput(ctx: BenchContext): Promise<Outcome> {
  const { config, rate, body } = ctx;
  const c = config.throughputConversations;
  const s = config.throughputSenders;
  const seconds = config.throughputSeconds;

  ctx.progress(`throughput: ${c} groups × ${s} senders`);
  const users = await loginAll(ctx, range(c * s).map((i) => `tp_c${Math.floor(i / s)}_u${i % s}`));
  const members = range(c).map((k) => users.slice(k * s, k * s + s));
  const ids = await mapLimit(members, 8, (m, k) => ctx.api.group(m[0]!, `bench throughput ${k}`, m.slice(1).map((u) => u.username)));
  const slots = members.flatMap((m, k) => m.map((user) => ({ user, conversationId: ids[k]! })));
  const sockets = await openAll(ctx, slots, config.connectConcurrency);

  const checks = sockets.map(() => new SeqCheck());
  let delivered = 0;
  sockets.forEach((socket, i) => {
    socket.onFrame = (frame) => {
      if (frame.type !== "message.new") return;
      delivered++;
      checks[i]!.observe((frame.data.message as { seq: number }).seq);
    };
  });

  try {
    await sleep(500);
    ctx.progress(`throughput: ${seconds} s of sending`);
    const latencies: number[] = [];
    const perSecond = new Array<number>(seconds).fill(0);
    const failures = new Tally();
    let acked = 0;
    let ackedLate = 0;
    let rateLimited = 0;
    let tokenWaitMs = 0;

    const before = ctx.snapshot();
    const clientBefore = process.cpuUsage();
    const start = performance.now();
    const deadline = start + seconds * 1000;

    const sender = async (socket: BenchSocket, index: number) => {
      const pacer = new Pacer(rate);
      let n = 0;
      while (performance.now() < deadline && socket.isOpen) {
        const wait = Math.min(pacer.delayMs(), deadline - performance.now());
        if (wait > 0) {
          tokenWaitMs += wait;
          await sleep(wait);
          continue;
        }
        const t0 = performance.now();
        try {
          const { ack, at } = await socket.send(`tp-${index}-${n++}`, body, config.opTimeoutMs);
          pacer.accepted(ack.created_at);
          if (at <= deadline) {
            acked++;
            latencies.push(at - t0);
            perSecond[Math.min(seconds - 1, Math.floor((at - start) / 1000))]!++;
          } else {
            ackedLate++;
          }
        } catch (e) {
          failures.add(failureKind(e));
          if (e instanceof FrameError && e.body.code === "rate_limited") {
            rateLimited++;
            await sleep(e.body.retry_after_ms ?? 100);
          }
        }
      }
    };
    await Promise.all(sockets.map(sender));
    const elapsed = (performance.now() - start) / 1000;
    const clientCpu = process.cpuUsage(clientBefore);
    const after = ctx.snapshot();

    // Every accepted message goes to the s sockets of its conversation.
    const expected = (acked + ackedLate) * s;
    const drainDeadline = performance.now() + 5000;
    while (delivered < expected && performance.now() < drainDeadline) await sleep(50);

    const senders = c * s;
    // A full bucket, then the refill: the most the limiter lets all senders send in the window.
    const ceiling = (senders * (rate.messages + (rate.messages * seconds * 1000) / rate.per_ms)) / seconds;
    const waitShare = tokenWaitMs / (senders * seconds * 1000);
    const gaps = checks.reduce((a, k) => a + k.gaps, 0);
    const repeats = checks.reduce((a, k) => a + k.repeats, 0);
    const ack = summarize(latencies);
    const rateValue = acked / seconds;
    return {
      result: {
        design: `${c} group conversations × ${s} members, every member online with one socket and sending; each sender keeps one message in flight and is paced by a mirror of its rate bucket (${rate.messages} per ${rate.per_ms} ms, starting full); acks counted if they arrive within the ${seconds} s window`,
        conversations: c,
        senders_per_conversation: s,
        senders,
        seconds,
        acked,
        acked_after_window: ackedLate,
        acked_per_s: round(rateValue, 1),
        acked_per_s_by_second: perSecond,
        rate_limit_ceiling_per_s: round(ceiling, 1),
        token_wait_share: round(waitShare, 3),
        send_to_ack_ms: ack,
        message_new_expected: expected,
        message_new_received: delivered,
        seq_gaps: gaps,
        seq_repeats: repeats,
        rate_limited_errors: rateLimited,
        failures: failures.counts,
        engine_cpu_s: round(after.total_cpu_s - before.total_cpu_s, 2),
        engine_cpu_s_by_role: cpuByRole(before, after),
        client_cpu_s: round((clientCpu.user + clientCpu.system) / 1e6, 2),
        wall_s: round(elapsed, 2),
      },
      rows: [
        {
          scenario: "throughput",
          measure: "messages acked per second",
          value: `${rateValue.toFixed(1)}/s`,
          note: `${acked} in ${seconds} s; ${senders} senders in ${c} groups of ${s}; limiter ceiling ${ceiling.toFixed(0)}/s, senders waited for tokens ${(waitShare * 100).toFixed(0)}% of the time`,
        },
        { scenario: "throughput", measure: "send → ack under load (ms)", summary: ack },
        {
          scenario: "throughput",
          measure: "message.new delivered",
          value: `${delivered}/${expected}`,
          note: `${Math.round(expected / seconds)} deliveries/s; seq gaps ${gaps}, repeats ${repeats}, rate_limited ${rateLimited}${failures.total > rateLimited ? `, other failures ${JSON.stringify(failures.counts)}` : ""}`,
        },
      ],
    };
  } finally {
    await closeAll(sockets);
  }
}
