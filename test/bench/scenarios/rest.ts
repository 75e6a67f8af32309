/**
 * Scenario 5: REST send latency, `POST /v1/conversations/{id}/messages`, one
 * request at a time over a kept-alive HTTP connection. A REST send draws on
 * the same per-user, per-conversation bucket as the socket, so, as in the
 * latency scenario, the sender moves to its next direct conversation every
 * `send_rate.messages` sends and never waits for a token.
 */
import { type BenchContext, MAX_CONSECUTIVE_FAILURES, type Outcome, failureKind, loginAll, range, stopNote } from "../context.ts";
import { Tally, mapLimit, summarize } from "../stats.ts";

export async function rest(ctx: BenchContext): Promise<Outcome> {
  const { config, rate, body } = ctx;
  const perConversation = rate.messages;
  const conversations = Math.ceil(config.restSends / perConversation);
  const warmup = Math.min(config.warmupSends, perConversation);

  ctx.progress(`rest: ${conversations} direct conversations (+1 for warm-up)`);
  const [sender] = await loginAll(ctx, ["rest_sender"]);
  const peers = await loginAll(ctx, range(conversations + 1).map((i) => `rest_peer${i}`));
  const ids = await mapLimit(peers, 8, (p) => ctx.api.direct(sender!, p.username));

  for (let i = 0; i < warmup; i++) await ctx.api.send(sender!, ids[conversations]!, `rest-warm-${i}`, body);

  ctx.progress(`rest: ${config.restSends} sequential sends`);
  const samples: number[] = [];
  const failures = new Tally();
  let consecutive = 0;
  let stoppedAt: number | undefined;
  for (let i = 0; i < config.restSends; i++) {
    const id = ids[Math.floor(i / perConversation)]!;
    const t0 = performance.now();
    try {
      await ctx.api.send(sender!, id, `rest-${i}`, body);
      samples.push(performance.now() - t0);
      consecutive = 0;
    } catch (e) {
      failures.add(failureKind(e));
      if (++consecutive >= MAX_CONSECUTIVE_FAILURES) {
        stoppedAt = i + 1;
        break;
      }
    }
  }
  const send = summarize(samples);
  return {
    result: {
      design: `one user POSTs ${config.restSends} messages one at a time (fetch, kept-alive connection), switching direct conversation every ${perConversation} sends so no request meets the rate limit; time until the JSON answer is read; ${warmup} warm-up sends not counted`,
      sends: config.restSends,
      conversations,
      sends_per_conversation: perConversation,
      warmup_sends: warmup,
      send_ms: send,
      failures: failures.counts,
      ...(stoppedAt !== undefined ? { stopped_after_sends: stoppedAt } : {}),
    },
    rows: [
      { scenario: "rest", measure: "POST …/messages → 200 (ms)", summary: send, note: `1 sender, ${conversations} direct conversation${conversations === 1 ? "" : "s"} × ≤${perConversation} sends` },
      ...(failures.total > 0 ? [{ scenario: "rest", measure: "failed sends", value: JSON.stringify(failures.counts), note: stopNote(stoppedAt) }] : []),
    ],
  };
}
