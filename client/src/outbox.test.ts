import { describe, expect, it } from "vitest";
import { ClientMsgId } from "../../src/protocol/index.ts";
import { newClientMsgId, Outbox } from "./outbox.ts";

const data = (id: string) => ({ client_msg_id: id, body: `body ${id}` });
const ids = (xs: { client_msg_id: string }[]) => xs.map((x) => x.client_msg_id);

describe("newClientMsgId", () => {
  it("is valid under the contract's ClientMsgId and unique", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const id = newClientMsgId();
      expect(ClientMsgId.safeParse(id).success).toBe(true);
      seen.add(id);
    }
    expect(seen.size).toBe(1000);
  });
});

describe("Outbox", () => {
  it("sends in order within the in-flight window and moves on with each ack", () => {
    const o = new Outbox(10, 2);
    for (const id of ["a", "b", "c"]) o.add(data(id));
    expect(ids(o.take(0))).toEqual(["a", "b"]);
    expect(o.take(0)).toEqual([]);
    expect(o.ack("a")?.sends).toBe(1);
    expect(ids(o.take(0))).toEqual(["c"]);
    expect(o.ack("zzz")).toBeUndefined();
    expect(o.size).toBe(2);
  });

  it("queues in-flight messages again after a disconnect and resends them first, with the same ids", () => {
    const o = new Outbox(10, 1);
    for (const id of ["a", "b"]) o.add(data(id));
    expect(ids(o.take(0))).toEqual(["a"]);
    o.requeueInFlight();
    expect(ids(o.take(0))).toEqual(["a"]);
    o.ack("a");
    expect(ids(o.take(0))).toEqual(["b"]);
  });

  it("pauses after a rate limit and keeps the refused message in its place", () => {
    const o = new Outbox(10, 1);
    for (const id of ["a", "b"]) o.add(data(id));
    o.take(1000);
    o.retryAt("a", 2500);
    expect(o.pausedFor(1000)).toBe(1500);
    expect(o.take(2499)).toEqual([]);
    expect(ids(o.take(2500))).toEqual(["a"]);
  });

  it("is bounded and refuses a duplicate id", () => {
    const o = new Outbox(2, 1);
    o.add(data("a"));
    expect(() => o.add(data("a"))).toThrow(/already/);
    o.add(data("b"));
    expect(o.isFull).toBe(true);
    expect(() => o.add(data("c"))).toThrow(RangeError);
    o.drop("a");
    expect(o.isFull).toBe(false);
    expect(ids(o.pending())).toEqual(["b"]);
  });
});
