import { describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/index.ts";
import { SeqBuffer } from "./seq-buffer.ts";

function msg(seq: number, body = `m${seq}`): Message {
  return {
    conversation_id: "c_test",
    seq,
    server_msg_id: `m_${seq}`,
    client_msg_id: `k${seq}`,
    sender_id: "u_a",
    body,
    created_at: 1_700_000_000_000 + seq,
  };
}
const seqs = (ms: Message[]) => ms.map((m) => m.seq);

describe("SeqBuffer", () => {
  it("delivers an in-order stream as it comes", () => {
    const b = new SeqBuffer();
    expect(seqs(b.accept([msg(1), msg(2)]))).toEqual([1, 2]);
    expect(seqs(b.accept([msg(3)]))).toEqual([3]);
    expect(b.delivered).toBe(3);
    expect(b.hasGap).toBe(false);
  });

  it("never delivers a seq twice: repeats within a batch, across batches and below the start are dropped", () => {
    const b = new SeqBuffer(5);
    expect(seqs(b.accept([msg(4), msg(5), msg(6), msg(6), msg(7)]))).toEqual([6, 7]);
    expect(seqs(b.accept([msg(6), msg(7)]))).toEqual([]);
    // The first copy of a held seq wins.
    b.accept([msg(9, "first")]);
    b.accept([msg(9, "second")]);
    expect(b.accept([msg(8)]).map((m) => m.body)).toEqual(["m8", "first"]);
  });

  it("holds a message past a gap until the gap is filled, then releases everything in order", () => {
    const b = new SeqBuffer();
    expect(seqs(b.accept([msg(1)]))).toEqual([1]);
    expect(seqs(b.accept([msg(4)]))).toEqual([]);
    expect(seqs(b.accept([msg(3)]))).toEqual([]);
    expect(b.hasGap).toBe(true);
    expect(b.heldCount).toBe(2);
    expect(b.delivered).toBe(1);
    expect(seqs(b.accept([msg(2)]))).toEqual([2, 3, 4]);
    expect(b.hasGap).toBe(false);
  });

  it("turns any permutation with repeats into 1..n exactly once", () => {
    const n = 200;
    const input: Message[] = [];
    for (let i = 1; i <= n; i++) input.push(msg(i), msg(i));
    for (let i = input.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [input[i], input[j]] = [input[j]!, input[i]!];
    }
    const b = new SeqBuffer();
    const out: Message[] = [];
    for (let i = 0; i < input.length; i += 7) out.push(...b.accept(input.slice(i, i + 7)));
    expect(seqs(out)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  });

  it("stays bounded: past capacity it forgets the highest held messages, which a sync brings back", () => {
    const b = new SeqBuffer(0, 3);
    b.accept([msg(5), msg(4), msg(3), msg(2)]);
    expect(b.heldCount).toBe(3);
    expect(seqs(b.accept([msg(1)]))).toEqual([1, 2, 3, 4]);
    expect(seqs(b.accept([msg(5)]))).toEqual([5]);
  });
});

describe("SeqBuffer.advanceTo", () => {
  it("moves the cursor without delivering, drops what it passes, never goes back", () => {
    const buffer = new SeqBuffer(0);
    buffer.accept([msg(5), msg(9)]);
    buffer.advanceTo(6);
    expect(buffer.delivered).toBe(6);
    expect(buffer.heldCount).toBe(1);
    buffer.advanceTo(2);
    expect(buffer.delivered).toBe(6);
    expect(buffer.accept([msg(7), msg(8)]).map((m) => m.seq)).toEqual([7, 8, 9]);
  });
});
