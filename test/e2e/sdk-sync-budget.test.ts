/**
 * The replay budget by cost (docs/protocol.md §22.11) on the real engine:
 * a client that asks for the whole history again and again is refused once
 * it has been given the budget's worth of messages — on its socket, and on a
 * new socket's join too — while a member who has not spent theirs catches
 * up in full through the SDK with pages of 1000.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ParleyClient } from "../../client/src/index.ts";
import { api, joinedClient, login, openSocket, uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";

/** 3000 messages a burst, refilled at 5 a second: a test cannot see it refill much. */
const BUDGET = 3000;
const HISTORY = 1000;

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.start({ vars: { SYNC_BUDGET: `${BUDGET}/600000`, SEND_RATE: "100000/1000" } });
});

afterAll(async () => {
  await engine?.stop();
});

describe("the replay budget, by messages delivered", () => {
  it("a hostile loop of whole-history replays is stopped after the budget's worth, on every socket of that user; another member catches up in full", async () => {
    const [writer, hostile, reader] = await Promise.all([login(engine.url, uniqueName("w")), login(engine.url, uniqueName("h")), login(engine.url, uniqueName("r"))]);
    const created = await api(engine.url, "POST", "/v1/conversations", writer.token, { kind: "group", title: "budget", members: [hostile.username, reader.username] });
    const id = created.body.conversation.id as string;
    const { client: w } = await joinedClient(engine.wsUrl, writer, id);
    for (let i = 0; i < HISTORY; i++) w.send("message.send", { client_msg_id: `m${i}`, body: `message ${i}` }, `s${i}`);
    await w.waitFor("message.ack", HISTORY, 60_000);
    w.close();

    // The loop: the whole history, again and again, as fast as the answers come.
    const { client: h } = await joinedClient(engine.wsUrl, hostile, id);
    let delivered = 0;
    let refused: any;
    for (let i = 0; i < 20 && !refused; i++) {
      const answer = await h.request("sync", { after_seq: 0, limit: 1000 });
      if (answer.type === "error") refused = answer.data;
      else delivered += answer.data.messages.length;
    }
    expect(refused?.code).toBe("rate_limited");
    expect(refused.retry_after_ms).toBeGreaterThan(0);
    // The budget's worth (a page cut to what was left counts), and not a page more.
    expect(delivered).toBeGreaterThanOrEqual(BUDGET - 10);
    expect(delivered).toBeLessThanOrEqual(BUDGET + 10);
    h.close();

    // A new socket does not bring a new budget: its join with a cursor is refused, and it stays unjoined.
    const again = await openSocket(engine.wsUrl, id, hostile.token);
    expect((await again.request("hello", { client: { name: "e2e", version: "1" } })).type).toBe("hello.ack");
    const join = await again.request("conversation.join", { after_seq: 0, limit: 1000 });
    expect(join.type).toBe("error");
    expect(join.data.code).toBe("rate_limited");
    expect((await again.request("sync", { after_seq: 0 })).data.code).toBe("not_joined");
    again.close();

    // The reader's budget is untouched: the SDK gets all 1000 in one page, once each, in order.
    const client = new ParleyClient({ baseUrl: engine.url, token: reader.token, WebSocket, storage: null });
    try {
      const chat = client.conversation(id);
      const seqs: number[] = [];
      chat.on("message", (m) => seqs.push(m.seq));
      chat.connect();
      const deadline = Date.now() + 30_000;
      while (seqs.length < HISTORY && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(seqs).toEqual(Array.from({ length: HISTORY }, (_, i) => i + 1));
      expect(chat.status).toBe("connected");
    } finally {
      client.destroy();
    }
  });
});
