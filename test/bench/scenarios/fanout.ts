/**
 * Scenario 2: fan-out. A group of N members, every one online with one
 * joined socket; one member sends and the clock runs until every socket
 * (the sender's included: it gets `message.new` too) has the message.
 * Messages go one at a time. The sender rotates through the members, each
 * paced by its own mirror of the rate limit, so no send is refused; the wait
 * for a token happens before the clock starts.
 */
import { type BenchContext, MAX_CONSECUTIVE_FAILURES, type Outcome, SeqCheck, closeAll, failureKind, loginAll, openAll, range, stopNote } from "../context.ts";
import { Pacer } from "../pacer.ts";
import { Tally, sleep, summarize, within } from "../stats.ts";

interface Round {
  sentAt: number;
  arrivals: number[];
  done: () => void;
}

export async function fanout(ctx: BenchContext): Promise<Outcome> {
  const { config, rate, body } = ctx;
  const n = config.fanoutMembers;

  ctx.progress(`fanout: group of ${n}, all online`);
  const users = await loginAll(ctx, range(n).map((i) => `fan_m${i}`));
  const id = await ctx.api.group(users[0]!, "bench fan-out", users.slice(1).map((u) => u.username));
  const sockets = await openAll(ctx, users.map((user) => ({ user, conversationId: id })), 25);

  const rounds = new Map<string, Round>();
  const checks = sockets.map(() => new SeqCheck());
  let duplicates = 0;
  sockets.forEach((socket, i) => {
    const seen = new Set<string>();
    socket.onFrame = (frame, at) => {
      if (frame.type !== "message.new") return;
      const message = frame.data.message as { seq: number; client_msg_id: string };
      checks[i]!.observe(message.seq);
      if (seen.has(message.client_msg_id)) {
        duplicates++;
        return;
      }
      seen.add(message.client_msg_id);
      const round = rounds.get(message.client_msg_id);
      if (!round) return;
      round.arrivals.push(at);
      if (round.arrivals.length === n) round.done();
    };
  });

  try {
    // Let the presence frames of the joins drain before the first measurement.
    await sleep(500);
    ctx.progress(`fanout: ${config.fanoutMessages} messages`);
    const pacers = users.map(() => new Pacer(rate));
    const toAll: number[] = [];
    const toEach: number[] = [];
    const ackMs: number[] = [];
    const failures = new Tally();
    let incomplete = 0;
    let consecutive = 0;
    let stoppedAt: number | undefined;
    for (let r = 0; r < config.fanoutMessages; r++) {
      if (consecutive >= MAX_CONSECUTIVE_FAILURES) {
        stoppedAt = r;
        break;
      }
      const s = r % n;
      await sleep(pacers[s]!.delayMs());
      const clientMsgId = `fan-${r}`;
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      const round: Round = { sentAt: performance.now(), arrivals: [], done };
      rounds.set(clientMsgId, round);
      try {
        const { ack, at } = await sockets[s]!.send(clientMsgId, body, config.opTimeoutMs);
        pacers[s]!.accepted(ack.created_at);
        ackMs.push(at - round.sentAt);
      } catch (e) {
        failures.add(failureKind(e));
        consecutive++;
        continue;
      }
      if ((await within(all, config.opTimeoutMs)) === "timeout") {
        incomplete++;
        failures.add(`delivered to ${round.arrivals.length}/${n} within ${config.opTimeoutMs} ms`);
        consecutive++;
        continue;
      }
      consecutive = 0;
      toAll.push(Math.max(...round.arrivals) - round.sentAt);
      for (const at of round.arrivals) toEach.push(at - round.sentAt);
    }

    const gaps = checks.reduce((a, c) => a + c.gaps, 0);
    const repeats = checks.reduce((a, c) => a + c.repeats, 0);
    const all = summarize(toAll);
    const each = summarize(toEach);
    const acks = summarize(ackMs);
    return {
      result: {
        design: `group of ${n} members, each with one joined socket; ${config.fanoutMessages} messages one at a time, sender rotating through the members (each paced by a mirror of its rate bucket, waiting before the clock starts); a message is done when all ${n} sockets (the sender's included) have its message.new`,
        members: n,
        messages: config.fanoutMessages,
        send_to_all_delivered_ms: all,
        send_to_each_delivery_ms: each,
        sender_ack_ms: acks,
        incomplete_rounds: incomplete,
        duplicate_deliveries: duplicates,
        seq_gaps: gaps,
        seq_repeats: repeats,
        failures: failures.counts,
        ...(stoppedAt !== undefined ? { stopped_after_messages: stoppedAt } : {}),
      },
      rows: [
        { scenario: "fanout", measure: `send → all ${n} have message.new (ms)`, summary: all, note: `${config.fanoutMessages} messages, one at a time` },
        { scenario: "fanout", measure: "send → each member's message.new (ms)", summary: each, note: `every delivery of every message` },
        { scenario: "fanout", measure: "send → sender's message.ack (ms)", summary: acks },
        ...(failures.total + gaps + repeats + duplicates > 0
          ? [{ scenario: "fanout", measure: "anomalies", value: JSON.stringify({ ...failures.counts, gaps, repeats, duplicates }), note: stopNote(stoppedAt) }]
          : []),
      ],
    };
  } finally {
    await closeAll(sockets);
  }
}
