import { describe, expect, it } from "vitest";
import { ClientFrame, ServerFrame } from "./frames.ts";
import { parseClientFrame } from "./parse.ts";

describe("parseClientFrame", () => {
  it("accepts every client frame type and fills an omitted empty data", () => {
    const r = parseClientFrame(JSON.stringify({ v: 1, type: "typing.start", rid: "a" }));
    expect(r).toEqual({ ok: true, frame: { v: 1, type: "typing.start", rid: "a", data: {} } });
    const join = parseClientFrame(JSON.stringify({ v: 1, type: "conversation.join" }));
    expect(join.ok && join.frame.data).toEqual({});
  });

  it("recovers the rid for errors after the rid check", () => {
    const r = parseClientFrame(JSON.stringify({ v: 1, type: "nope", rid: "x1" }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.rid).toBe("x1");
      expect(r.error.code).toBe("bad_request");
    }
  });

  it("ignores unknown fields inside data (forward compatible)", () => {
    const r = parseClientFrame(JSON.stringify({ v: 1, type: "ping", data: { future: 1 } }));
    expect(r.ok && r.frame).toEqual({ v: 1, type: "ping", data: {} });
  });

  it("measures frames in UTF-8 bytes", () => {
    const fits = JSON.stringify({ v: 1, type: "ping", data: { p: "é".repeat(30_000) } }); // ~60 KB
    expect(parseClientFrame(fits).ok).toBe(true);
    const over = JSON.stringify({ v: 1, type: "ping", data: { p: "é".repeat(33_000) } }); // ~66 KB
    const r = parseClientFrame(over);
    expect(!r.ok && r.error.code).toBe("payload_too_large");
  });
});

describe("the schemas", () => {
  it("have one variant per frame type of the contract (v1, plus the v1.1 additions of docs/protocol.md)", () => {
    expect(ClientFrame.options.map((o) => o.shape.type.value).sort()).toEqual(
      ["auth.refresh", "conversation.join", "hello", "message.delete", "message.edit", "message.send", "ping", "reaction.add", "reaction.remove", "receipt.delivered", "receipt.read", "sync", "typing.start", "typing.stop"],
    );
    expect(ServerFrame.options.map((o) => o.shape.type.value).sort()).toEqual(
      ["auth.refreshed", "change.ack", "connection.closing", "conversation.joined", "error", "hello.ack", "member.joined", "member.left", "message.ack", "message.new", "message.updated", "messages.batch", "pong", "presence", "presence.batch", "receipt.updated", "receipts.batch", "typing"],
    );
  });

  it("refuse null for optional message fields", () => {
    const base = { conversation_id: "c_x", seq: 1, server_msg_id: "m_1", client_msg_id: "k", sender_id: "u_a", body: "b", created_at: 1 };
    expect(ServerFrame.safeParse({ v: 1, type: "message.new", data: { message: base } }).success).toBe(true);
    expect(ServerFrame.safeParse({ v: 1, type: "message.new", data: { message: { ...base, reply_to_seq: null } } }).success).toBe(false);
  });
});
