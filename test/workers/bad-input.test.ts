import { describe, expect, it } from "vitest";
import { api, createDirect, joined, login, openSocket } from "./helpers.ts";

async function pair() {
  const a = await login();
  const b = await login();
  const id = await createDirect(a, b);
  return { a, b, id };
}

/** Sends raw text and returns the error frame it causes. */
async function errorFor(client: Awaited<ReturnType<typeof joined>>["client"], raw: string | ArrayBuffer) {
  client.sendRaw(raw);
  const frame = await client.next((f) => f.type === "error");
  return frame;
}

describe("bad frames get their error code and leave the socket open", () => {
  it("each malformed frame listed in the contract", async () => {
    const { a, b, id } = await pair();
    const { client: victim } = await joined(b, id);
    const { client } = await joined(a, id);
    const cases: Array<[string | ArrayBuffer, string, RegExp?]> = [
      ["not json", "bad_request", /JSON/],
      [new Uint8Array([1, 2, 3]).buffer, "bad_request", /Binary/],
      ["[1,2]", "bad_request"],
      ["42", "bad_request"],
      [JSON.stringify({ type: "ping", data: {} }), "bad_request", /^v:/],
      [JSON.stringify({ v: 2, type: "ping", data: {} }), "unsupported_version"],
      [JSON.stringify({ v: "1", type: "ping", data: {} }), "unsupported_version"],
      [JSON.stringify({ v: 1, type: "message.destroy", data: {} }), "bad_request", /^type:/],
      [JSON.stringify({ v: 1, data: {} }), "bad_request", /^type:/],
      [JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "x" } }), "bad_request", /^data\.body/],
      [JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "bad id!", body: "hi" } }), "bad_request", /^data\.client_msg_id/],
      [JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "x".repeat(65), body: "hi" } }), "bad_request", /^data\.client_msg_id/],
      [JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "e", body: "   \n\t " } }), "bad_request", /^data\.body/],
      [JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "e", body: "" } }), "bad_request", /^data\.body/],
      [JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "e", body: "x".repeat(4001) } }), "bad_request", /^data\.body/],
      [JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "e", body: 12 } }), "bad_request", /^data\.body/],
      [JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "e", body: "hi", reply_to_seq: 999 } }), "bad_request", /reply_to_seq/],
      [JSON.stringify({ v: 1, type: "sync", data: { after_seq: -1 } }), "bad_request", /^data\.after_seq/],
      [JSON.stringify({ v: 1, type: "sync", data: { after_seq: "3" } }), "bad_request", /^data\.after_seq/],
      [JSON.stringify({ v: 1, type: "sync", data: { after_seq: 0, limit: 1001 } }), "bad_request", /^data\.limit/],
      [JSON.stringify({ v: 1, type: "sync", data: { after_seq: 1.5 } }), "bad_request", /^data\.after_seq/],
      [JSON.stringify({ v: 1, type: "receipt.read", data: {} }), "bad_request", /^data\.up_to_seq/],
      [JSON.stringify({ v: 1, type: "ping", rid: "r".repeat(65), data: {} }), "bad_request", /^rid/],
      [JSON.stringify({ v: 1, type: "ping", data: [] }), "bad_request", /^data/],
    ];
    // Spread over two sockets so no socket reaches the bad-frame limit.
    let n = 0;
    let current = client;
    for (const [raw, code, message] of cases) {
      if (n === 8) {
        current.close();
        current = (await joined(a, id)).client;
        n = 0;
      }
      const err = await errorFor(current, raw);
      expect(err.data.code, String(raw).slice(0, 80)).toBe(code);
      if (message) expect(err.data.message).toMatch(message);
      expect(err.data.retryable).toBe(false);
      n++;
    }
    // A later good frame still works, and the bystander saw none of it.
    const ack = await current.request("message.send", { client_msg_id: "ok-1", body: "still fine" });
    expect(ack.type).toBe("message.ack");
    expect(ack.data.seq).toBe(1);
    const got = await victim.next("message.new");
    expect(got.data.message.body).toBe("still fine");
    expect(victim.all("error")).toEqual([]);
    expect(victim.violations).toEqual([]);
    current.close();
    victim.close();
  });

  it("an error echoes the rid of the frame that caused it", async () => {
    const { a, id } = await pair();
    const { client } = await joined(a, id);
    client.sendRaw(JSON.stringify({ v: 9, type: "ping", rid: "r-77", data: {} }));
    const err = await client.next("error");
    expect(err.rid).toBe("r-77");
    expect(err.data.code).toBe("unsupported_version");
    client.close();
  });

  it("a frame over 64 KiB is payload_too_large", async () => {
    const { a, id } = await pair();
    const { client } = await joined(a, id);
    const big = JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "big", body: "x".repeat(70_000) } });
    const err = await errorFor(client, big);
    expect(err.data.code).toBe("payload_too_large");
    // Multi-byte text is measured in UTF-8 bytes: 22,000 × "€" is 66,000 bytes.
    const wide = JSON.stringify({ v: 1, type: "ping", data: { pad: "€".repeat(22_000) } });
    expect((await errorFor(client, wide)).data.code).toBe("payload_too_large");
    const ok = await client.request("ping");
    expect(ok.type).toBe("pong");
    client.close();
  });

  it("bodies count characters, not UTF-16 units: 4000 emoji are accepted", async () => {
    const { a, id } = await pair();
    const { client } = await joined(a, id);
    const ack = await client.request("message.send", { client_msg_id: "emoji", body: "😀".repeat(4000) });
    expect(ack.type).toBe("message.ack");
    client.close();
  });

  it("frames before hello are handshake_required; requests before join are not_joined", async () => {
    const { a, id } = await pair();
    const { client } = await openSocket(a.token, id);
    for (const type of ["conversation.join", "ping", "message.send"]) {
      const err = await client!.request(type, type === "message.send" ? { client_msg_id: "x", body: "y" } : {});
      expect(err.data.code).toBe("handshake_required");
    }
    expect((await client!.request("hello")).type).toBe("hello.ack");
    expect((await client!.request("hello")).data.code).toBe("bad_request");
    expect((await client!.request("ping")).type).toBe("pong");
    for (const [type, data] of [
      ["message.send", { client_msg_id: "x", body: "y" }],
      ["sync", { after_seq: 0 }],
      ["typing.start", {}],
      ["receipt.read", { up_to_seq: 1 }],
    ] as const) {
      const err = await client!.request(type, data);
      expect(err.data.code, type).toBe("not_joined");
    }
    const history = await api("GET", `/v1/conversations/${id}/messages`, a.token);
    expect(history.body.messages).toEqual([]);
    client!.close();
  });

  it("the tenth bad frame in a minute closes the socket with 4008; others are untouched", async () => {
    const { a, b, id } = await pair();
    const { client: victim } = await joined(b, id);
    const { client } = await joined(a, id);
    for (let i = 0; i < 9; i++) await errorFor(client, "garbage");
    // Nine are tolerated.
    expect((await client.request("ping")).type).toBe("pong");
    client.sendRaw("garbage");
    const closing = await client.next("connection.closing");
    expect(closing.data).toEqual({ reason: "policy_violation", retry: false });
    const closed = await client.closed;
    expect(closed.code).toBe(4008);
    // The bystander still sends and receives.
    const ack = await victim.request("message.send", { client_msg_id: "v1", body: "unharmed" });
    expect(ack.type).toBe("message.ack");
    expect((await victim.next("message.new")).data.message.seq).toBe(1);
    // The offender's presence went away (announced before the send above).
    expect(victim.all("presence").filter((p) => p.status === "offline").map((p) => p.user_id)).toEqual([a.userId]);
    victim.close();
  });

  it("sending faster than the rate gets rate_limited with retry_after_ms, and nothing is stored", async () => {
    const { a, id } = await pair();
    const { client } = await joined(a, id);
    for (let i = 0; i < 30; i++) client.send("message.send", { client_msg_id: `r-${i}`, body: "x" }, `s${i}`);
    await client.waitFor("message.ack", 30);
    const limited = await client.request("message.send", { client_msg_id: "r-30", body: "x" });
    expect(limited.data.code).toBe("rate_limited");
    expect(limited.data.retryable).toBe(true);
    expect(limited.data.retry_after_ms).toBeGreaterThan(0);
    // A retry of an accepted key is still answered: duplicates are not rate limited.
    const dup = await client.request("message.send", { client_msg_id: "r-3", body: "x" });
    expect(dup.data.duplicate).toBe(true);
    const history = await api("GET", `/v1/conversations/${id}/messages?limit=1000`, a.token);
    expect(history.body.messages).toHaveLength(30);
    client.close();
  });

  it("hostile values neither crash the actor nor corrupt storage", async () => {
    const { a, b, id } = await pair();
    const { client } = await joined(a, id);
    await client.request("message.send", { client_msg_id: "m1", body: "one" });
    const hostile = [
      JSON.stringify({ v: 1, type: "receipt.read", data: { up_to_seq: Number.MAX_SAFE_INTEGER } }),
      JSON.stringify({ v: 1, type: "sync", data: { after_seq: Number.MAX_SAFE_INTEGER } }),
      '{"v":1,"type":"ping","data":{},"__proto__":{"polluted":true}}',
      JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "m2", body: "'); DROP TABLE messages; --" } }),
      JSON.stringify({ v: 1, type: "message.send", data: { client_msg_id: "m3", body: "\u0000\uffff" } }),
      // A lone surrogate cannot be stored as UTF-8: refused, not silently altered.
      JSON.stringify({ v: 1, type: "message.send", rid: "lone", data: { client_msg_id: "m4", body: "a\ud800b" } }),
      "[".repeat(20000) + "]".repeat(20000),
    ];
    for (const raw of hostile) client.sendRaw(raw);
    const receipt = await client.next("receipt.updated");
    // Capped at the last seq that existed when it was processed.
    expect(receipt.data.read_seq).toBeLessThanOrEqual(3);
    await client.quiet(200);
    const history = await api("GET", `/v1/conversations/${id}/messages`, b.token);
    // Sorted: inside the Workers pool a burst from one socket may reach the actor out of order (end-to-end tests check FIFO).
    expect(history.body.messages.map((m: { body: string }) => m.body).sort()).toEqual(["one", "'); DROP TABLE messages; --", "\u0000\uffff"].sort());
    const lone = client.frames.find((f) => f.rid === "lone");
    expect(lone?.type).toBe("error");
    expect(lone?.data.code).toBe("bad_request");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    client.close();
  });
});
