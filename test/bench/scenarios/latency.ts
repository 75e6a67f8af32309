/**
 * Scenario 1: send → ack latency of one sender sending one message at a time
 * over its socket.
 *
 * The rate limit is a bucket per user per conversation that starts full, so
 * a fresh conversation takes `send_rate.messages` sends at once whatever their
 * timing. The sender therefore moves to the next of its direct conversations
 * every `send_rate.messages` sends and never waits for a token: what is
 * measured is the engine, never the limiter. The peers stay offline.
 */
import { type BenchContext, MAX_CONSECUTIVE_FAILURES, type Outcome, closeAll, failureKind, loginAll, openAll, range, stopNote } from "../context.ts";
import { Tally, mapLimit, summarize } from "../stats.ts";

export async function latency(ctx: BenchContext): Promise<Outcome> {
  const { config, rate, body } = ctx;
  const perConversation = rate.messages;
  const conversations = Math.ceil(config.latencySends / perConversation);
  const warmup = Math.min(config.warmupSends, perConversation);

  ctx.progress(`latency: ${conversations} direct conversations (+1 for warm-up)`);
  const [sender] = await loginAll(ctx, ["lat_sender"]);
  const peers = await loginAll(ctx, range(conversations + 1).map((i) => `lat_peer${i}`));
  const ids = await mapLimit(peers, 8, (p) => ctx.api.direct(sender!, p.username));
  const sockets = await openAll(ctx, ids.map((conversationId) => ({ user: sender!, conversationId })), 8);

  try {
    const warm = sockets[conversations]!;
    for (let i = 0; i < warmup; i++) await warm.send(`lat-warm-${i}`, body, config.opTimeoutMs);

    ctx.progress(`latency: ${config.latencySends} sequential sends`);
    const samples: number[] = [];
    const failures = new Tally();
    let consecutive = 0;
    let stoppedAt: number | undefined;
    const started = performance.now();
    for (let i = 0; i < config.latencySends; i++) {
      const socket = sockets[Math.floor(i / perConversation)]!;
      const t0 = performance.now();
      try {
        const { at } = await socket.send(`lat-${i}`, body, config.opTimeoutMs);
        samples.push(at - t0);
        consecutive = 0;
      } catch (e) {
        failures.add(failureKind(e));
        if (++consecutive >= MAX_CONSECUTIVE_FAILURES) {
          stoppedAt = i + 1;
          break;
        }
      }
    }
    const elapsedS = (performance.now() - started) / 1000;
    const ack = summarize(samples);
    const note = `1 sender, ${conversations} direct conversation${conversations === 1 ? "" : "s"} × ≤${perConversation} sends`;
    return {
      result: {
        design: `one user sends ${config.latencySends} messages one at a time over sockets; it switches to its next direct conversation every ${perConversation} sends (the bucket of ${rate.messages}/${rate.per_ms} ms starts full), so no send waits for a token; peers offline; ${warmup} warm-up sends in a separate conversation are not counted`,
        sends: config.latencySends,
        conversations,
        sends_per_conversation: perConversation,
        warmup_sends: warmup,
        ack_ms: ack,
        failures: failures.counts,
        ...(stoppedAt !== undefined ? { stopped_after_sends: stoppedAt } : {}),
        elapsed_s: Math.round(elapsedS * 100) / 100,
      },
      rows: [
        { scenario: "latency", measure: "ws send → message.ack (ms)", summary: ack, note },
        ...(failures.total > 0 ? [{ scenario: "latency", measure: "failed sends", value: JSON.stringify(failures.counts), note: stopNote(stoppedAt) }] : []),
      ],
    };
  } finally {
    await closeAll(sockets);
  }
}
