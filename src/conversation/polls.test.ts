import { describe, expect, it } from "vitest";
import { ParleyError, type Message } from "../protocol/index.ts";
import type { Result } from "../shared/result.ts";
import { HeldPolls, MAX_POLLERS_PER_USER, type PollPage } from "./polls.ts";

/** A conversation reduced to what the polls need: a last seq and who may read. */
function room() {
  const state = { lastSeq: 0, lastRev: 0, denied: new Map<string, ParleyError>() };
  const message = (seq: number) => ({ seq }) as Message;
  const polls = new HeldPolls({
    page: (cursor) => {
      if ("after_rev" in cursor) return { messages: Array.from({ length: Math.max(0, state.lastRev - cursor.after_rev) }, (_, i) => ({ rev: cursor.after_rev + i + 1 }) as Message), last_seq: state.lastSeq, last_rev: state.lastRev };
      const afterSeq = cursor.after_seq;
      return { messages: Array.from({ length: Math.max(0, state.lastSeq - afterSeq) }, (_, i) => message(afterSeq + i + 1)), last_seq: state.lastSeq };
    },
    lastSeq: () => state.lastSeq,
    lastRev: () => state.lastRev,
    denied: (userId) => state.denied.get(userId),
  });
  return { state, polls };
}

/** Records when a held poll is answered, so a test can see that it is still waiting. */
function watch(p: Result<PollPage> | Promise<Result<PollPage>>) {
  const seen: { result?: Result<PollPage> } = {};
  void Promise.resolve(p).then((r) => (seen.result = r));
  return seen;
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("HeldPolls", () => {
  it("answers at once when something is newer, holds otherwise, and answers the held ones when a message comes", async () => {
    const { state, polls } = room();
    state.lastSeq = 2;
    expect(polls.poll("u1", { after_seq: 1 }, 10_000)).toEqual({ ok: true, value: { messages: [{ seq: 2 }], last_seq: 2 } });
    const held = watch(polls.poll("u1", { after_seq: 2 }, 10_000));
    await tick();
    expect(held.result).toBeUndefined();
    state.lastSeq = 3;
    polls.answerAll();
    await tick();
    expect(held.result).toEqual({ ok: true, value: { messages: [{ seq: 3 }], last_seq: 3 } });
  });

  it("holds at most MAX_POLLERS_PER_USER per user; past them a poll is answered at once, and other users still wait", async () => {
    const { polls } = room();
    const held = Array.from({ length: MAX_POLLERS_PER_USER }, () => watch(polls.poll("u1", { after_seq: 0 }, 10_000)));
    expect(polls.poll("u1", { after_seq: 0 }, 10_000)).toEqual({ ok: true, value: { messages: [], last_seq: 0 } });
    const other = watch(polls.poll("u2", { after_seq: 0 }, 10_000));
    await tick();
    expect([...held, other].map((h) => h.result)).toEqual([undefined, undefined, undefined, undefined]);
    polls.answerAll();
    await tick();
    expect([...held, other].every((h) => h.result?.ok)).toBe(true);
  });

  it("checks a held poll again when it is answered: a user who lost access gets the refusal, not the page", async () => {
    const { state, polls } = room();
    const lost = watch(polls.poll("u1", { after_seq: 0 }, 10_000));
    const kept = watch(polls.poll("u2", { after_seq: 0 }, 10_000));
    await tick();
    state.denied.set("u1", new ParleyError("not_found", "No such conversation."));
    state.lastSeq = 1;
    polls.answerAll();
    await tick();
    expect(lost.result).toMatchObject({ ok: false, error: { code: "not_found" } });
    expect(kept.result).toEqual({ ok: true, value: { messages: [{ seq: 1 }], last_seq: 1 } });
  });

  it("settles a user's held polls at once with their refusal, and only theirs", async () => {
    const { state, polls } = room();
    const blocked = [watch(polls.poll("u1", { after_seq: 0 }, 10_000)), watch(polls.poll("u1", { after_seq: 0 }, 10_000))];
    const other = watch(polls.poll("u2", { after_seq: 0 }, 10_000));
    await tick();
    state.denied.set("u1", new ParleyError("forbidden", "You cannot open this conversation."));
    polls.settle("u1");
    await tick();
    for (const b of blocked) expect(b.result).toMatchObject({ ok: false, error: { code: "forbidden" } });
    expect(other.result).toBeUndefined();
    // Their places are free again.
    state.denied.delete("u1");
    const again = Array.from({ length: MAX_POLLERS_PER_USER }, () => watch(polls.poll("u1", { after_seq: 0 }, 10_000)));
    await tick();
    expect(again.map((a) => a.result)).toEqual([undefined, undefined, undefined]);
    polls.answerAll();
  });

  it("answers a held poll with an empty page at its timeout, checked again like any answer", async () => {
    const { state, polls } = room();
    const idle = watch(polls.poll("u1", { after_seq: 0 }, 20));
    const lost = watch(polls.poll("u2", { after_seq: 0 }, 20));
    state.denied.set("u2", new ParleyError("not_found", "No such conversation."));
    await new Promise((r) => setTimeout(r, 60));
    expect(idle.result).toEqual({ ok: true, value: { messages: [], last_seq: 0, last_rev: 0 } });
    expect(lost.result).toMatchObject({ ok: false, error: { code: "not_found" } });
  });

  it("a poll by rev is answered at once when a change is newer, and held ones when a message changes; polls by seq wait for a new message", async () => {
    const { state, polls } = room();
    state.lastSeq = 1;
    state.lastRev = 3;
    expect(polls.poll("u1", { after_rev: 2 }, 10_000)).toEqual({ ok: true, value: { messages: [{ rev: 3 }], last_seq: 1, last_rev: 3 } });
    const byRev = watch(polls.poll("u1", { after_rev: 3 }, 10_000));
    const bySeq = watch(polls.poll("u2", { after_seq: 1 }, 10_000));
    await tick();
    expect([byRev.result, bySeq.result]).toEqual([undefined, undefined]);
    // An edit: a new rev, no new seq.
    state.lastRev = 4;
    polls.answerChanges();
    await tick();
    expect(byRev.result).toEqual({ ok: true, value: { messages: [{ rev: 4 }], last_seq: 1, last_rev: 4 } });
    expect(bySeq.result).toBeUndefined();
    // A new message answers both kinds.
    const again = watch(polls.poll("u1", { after_rev: 4 }, 10_000));
    state.lastSeq = 2;
    state.lastRev = 5;
    polls.answerAll();
    await tick();
    expect(again.result).toMatchObject({ ok: true, value: { messages: [{ rev: 5 }] } });
    expect(bySeq.result).toEqual({ ok: true, value: { messages: [{ seq: 2 }], last_seq: 2 } });
  });
});
