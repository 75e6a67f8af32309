/**
 * Nothing lost, nothing doubled when the server dies. Two resuming clients
 * keep sending; in the middle the whole engine is SIGKILLed (wrangler and
 * workerd: a crash, not a shutdown) and started again on the same state.
 * The clients reconnect, resume after the highest seq they saw and resend
 * what was not acked. Afterwards the history, the acks and what each client
 * saw must tell the same story: seq 1..N, one per distinct client_msg_id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.ts";
import { directPair, history, joinedClient, ResumingClient } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";

/** Messages each client sends. */
const PER_CLIENT = 60;
/** Each client sends in bursts, so several messages are in flight at once… */
const BURST = 6;
/** …with this pause between bursts (pacing, not an assertion). */
const BURST_GAP_MS = 100;
/**
 * The crash comes once this many messages are durable (acked to either
 * client) and, at that instant, at least KILL_WITH_IN_FLIGHT others are sent
 * and not acked: some of those are committed with their ack lost, others
 * never arrived, which is what the resend must sort out.
 */
const KILL_AFTER_ACKS = 24;
const KILL_WITH_IN_FLIGHT = 4;
/** Replay page size of the client that joins after the restart. */
const LATE_PAGE = 5;

let engine: Engine;
const clients: ResumingClient[] = [];

beforeAll(async () => {
  engine = await Engine.start();
});

afterAll(async () => {
  for (const c of clients) c.stop();
  await engine?.stop();
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("chaos: the engine is killed mid-stream", () => {
  it("every client_msg_id gets exactly one seq, history is 1..N with N distinct ids, every client sees each seq once in order", async () => {
    const { a, b, conversationId } = await directPair(engine.url);
    const ra = new ResumingClient({ wsUrl: engine.wsUrl, conversationId, token: a.token, name: "alice" });
    const rb = new ResumingClient({ wsUrl: engine.wsUrl, conversationId, token: b.token, name: "bob" });
    clients.push(ra, rb);
    await Promise.all([ra.start(), rb.start()]);
    const senders = [
      { client: ra, session: a, tag: "a" },
      { client: rb, session: b, tag: "b" },
    ];

    // Both keep sending in bursts, whatever the state of their socket. The
    // second half waits for the kill to have begun, so the crash always falls
    // mid-stream and the rest is queued while the engine is down.
    let releaseSecondHalf!: () => void;
    const killBegun = new Promise<void>((resolve) => (releaseSecondHalf = resolve));
    const sending = Promise.all(
      senders.map(async ({ client, tag }) => {
        for (let i = 0; i < PER_CLIENT; i++) {
          if (i === PER_CLIENT / 2) await killBegun;
          client.send(`${tag}-${i}-${Math.random().toString(36).slice(2, 8)}`, `${tag} says ${i}`);
          if ((i + 1) % BURST === 0) await pause(BURST_GAP_MS);
        }
      }),
    );

    // The crash: once some messages are durable, others are in flight and
    // more are still to come. The predicate runs as each frame arrives, and
    // the kill follows in the same turn of the event loop.
    await ra.waitUntil(
      () => ra.acks.length + rb.acks.length >= KILL_AFTER_ACKS && ra.inFlight + rb.inFlight >= KILL_WITH_IN_FLIGHT,
      15_000,
      `${KILL_AFTER_ACKS} acks with ${KILL_WITH_IN_FLIGHT} in flight`,
    );
    const at = { sentA: ra.sent.length, sentB: rb.sent.length, acked: ra.acks.length + rb.acks.length, inFlight: ra.inFlight + rb.inFlight };
    const closesBefore = [ra.closeCodes.length, rb.closeCodes.length];
    // kill() sends SIGKILL before its first await, so the senders resume
    // only after the engine is already dead.
    const killed = engine.kill();
    releaseSecondHalf();
    await killed;
    await Promise.all([
      ra.waitUntil(() => ra.closeCodes.length > closesBefore[0]!, 10_000, "the close"),
      rb.waitUntil(() => rb.closeCodes.length > closesBefore[1]!, 10_000, "the close"),
    ]);
    await engine.restart();

    // A second device of bob's arrives just after the restart, while the
    // resends and the rest are still flowing: it replays everything from
    // seq 0 in small pages (sync while has_more), then goes live.
    const late = new ResumingClient({ wsUrl: engine.wsUrl, conversationId, token: b.token, name: "bob-late", pageLimit: LATE_PAGE });
    clients.push(late);
    await late.start();

    await sending;
    await Promise.all([ra.whenAllAcked(30_000), rb.whenAllAcked(30_000)]);

    // Whatever the kill's timing gave, idempotency across the restart is
    // checked once for certain: a message acked before the crash, sent
    // again on a fresh socket, is a duplicate with its first seq…
    const firstAck = ra.acks.find((k) => k.client_msg_id === ra.sent[0])!;
    expect(firstAck.seq).toBeLessThanOrEqual(at.acked);
    const again = await joinedClient(engine.wsUrl, a, conversationId);
    const dup = await again.client.request("message.send", { client_msg_id: ra.sent[0], body: "a says 0" });
    expect(dup.type).toBe("message.ack");
    expect(dup.data).toEqual({ ...firstAck, duplicate: true });
    // …and broadcasts nothing: one more message is the barrier behind which
    // a wrong message.new would have arrived at every socket.
    const barrierId = `a-after-${Math.random().toString(36).slice(2, 8)}`;
    ra.send(barrierId, "a says: after the storm");
    await ra.whenAllAcked(15_000);
    const last = ra.acks.find((k) => k.client_msg_id === barrierId)!.seq;
    await again.client.next((f) => f.type === "message.new" && f.data.message.seq === last);
    expect(again.client.all("message.new").map((d) => d.message.seq)).toEqual([last]);
    expect(again.client.all("error")).toEqual([]);
    again.client.close();

    // The crash really happened mid-stream, and both clients resumed.
    expect(at.sentA).toBeLessThanOrEqual(PER_CLIENT / 2);
    expect(at.sentB).toBeLessThanOrEqual(PER_CLIENT / 2);
    expect(at.acked).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(at.inFlight).toBeGreaterThanOrEqual(KILL_WITH_IN_FLIGHT);
    for (const [c, before] of [[ra, closesBefore[0]!], [rb, closesBefore[1]!]] as const) {
      expect(c.joins, c.events.join("\n")).toBeGreaterThanOrEqual(2);
      // A dead server sends no close frame: the client sees 1006.
      expect(c.closeCodes[before]).toBe(1006);
    }

    // REST history: 1..N contiguous, N = the number of distinct client_msg_ids.
    const distinct = new Set([...ra.sent, ...rb.sent]);
    expect(distinct.size).toBe(2 * PER_CLIENT + 1);
    const N = distinct.size;
    const page = await history(engine.url, a.token, conversationId);
    expect(page.has_more).toBe(false);
    expect(page.messages.map((m) => m.seq)).toEqual(range(N));
    expect(new Set(page.messages.map((m) => m.client_msg_id))).toEqual(distinct);
    const bySeq = new Map<number, Message>(page.messages.map((m) => [m.seq, m]));

    for (const { client, session } of senders) {
      // Every message it sent is in history once, under its sender.
      const mine = page.messages.filter((m) => m.sender_id === session.userId).map((m) => m.client_msg_id);
      expect([...mine].sort()).toEqual([...client.sent].sort());

      // Each client_msg_id acked with exactly one seq (and server_msg_id),
      // the one history holds; at most one of its acks is not a duplicate.
      for (const cmid of client.sent) {
        const acks = client.acks.filter((k) => k.client_msg_id === cmid);
        expect(acks.length, `acks of ${cmid}`).toBeGreaterThanOrEqual(1);
        expect(new Set(acks.map((k) => k.seq)).size, `seqs acked for ${cmid}`).toBe(1);
        expect(new Set(acks.map((k) => k.server_msg_id)).size, `server_msg_ids acked for ${cmid}`).toBe(1);
        expect(acks.filter((k) => !k.duplicate).length, `non-duplicate acks of ${cmid}`).toBeLessThanOrEqual(1);
        const stored = bySeq.get(acks[0]!.seq)!;
        expect(stored).toMatchObject({ client_msg_id: cmid, sender_id: session.userId, server_msg_id: acks[0]!.server_msg_id });
      }
    }

    // Each client saw every seq exactly once, in ascending order, across
    // replay and live and across connections — the same messages.
    for (const c of [ra, rb, late]) {
      await c.whenSeen(N, 10_000).catch(() => undefined); // the list below says what is missing
      expect(c.received.map((r) => r.message.seq), c.events.join("\n")).toEqual(range(N));
      expect(c.received.map((r) => r.message)).toEqual(page.messages);
      expect(c.problems).toEqual([]);
      expect(c.violations).toEqual([]);
    }

    // The late client really crossed the seam: paged replay, then live.
    const lateReplay = late.received.filter((r) => r.via === "replay").length;
    expect(lateReplay).toBeGreaterThan(LATE_PAGE);
    expect(late.received.filter((r) => r.via === "live").length).toBeGreaterThan(0);

    const resent = [...ra.acks, ...rb.acks].filter((k) => k.duplicate).length;
    if (ra.joins + rb.joins > 4) console.info([...ra.events, "--", ...rb.events].join("\n"));
    console.info(
      `chaos: killed after ${at.acked} acks, ${at.inFlight} in flight (alice sent ${at.sentA}, bob ${at.sentB}); ` +
        `joins alice ${ra.joins}, bob ${rb.joins} (closes ${JSON.stringify([ra.closeCodes, rb.closeCodes])}, failed attempts ${ra.failedAttempts + rb.failedAttempts}); duplicate acks after resend ${resent}; ` +
        `rate_limited answers ${ra.rateLimited + rb.rateLimited}; late client replayed ${lateReplay} in pages of ${LATE_PAGE}`,
    );
  });
});
