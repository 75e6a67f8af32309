/**
 * The heartbeat sweep over real sockets and real alarms: with a 1 s
 * heartbeat, a client that goes silent is closed with 4202 after two
 * intervals and its presence goes offline, while clients that keep the
 * text ping (auto-response, the actor stays asleep) or JSON frames going
 * stay connected.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Client } from "../support/client.ts";
import { Engine } from "../support/engine.ts";
import { api, joinedClient, login } from "../support/e2e-helpers.ts";

const HEARTBEAT_MS = 1000;
let engine: Engine;

beforeAll(async () => {
  engine = await Engine.start({ vars: { HEARTBEAT_MS: String(HEARTBEAT_MS) } });
});

afterAll(async () => {
  await engine?.stop();
});

describe("the heartbeat sweep", () => {
  it("closes a silent socket with 4202 and keeps pinging ones open", async () => {
    const [a, b, c] = await Promise.all([login(engine.url), login(engine.url), login(engine.url)]);
    const group = await api(engine.url, "POST", "/v1/conversations", a.token, { kind: "group", title: "hb", members: [b.username, c.username] });
    const gid = group.body.conversation.id as string;
    const silent = await joinedClient(engine.wsUrl, a, gid);
    const textPinger = await joinedClient(engine.wsUrl, b, gid);
    const jsonPinger = await joinedClient(engine.wsUrl, c, gid);
    expect(silent.hello.data.heartbeat_ms).toBe(HEARTBEAT_MS);
    const timers = [
      setInterval(() => textPinger.client.sendRaw("ping"), HEARTBEAT_MS / 2),
      setInterval(() => jsonPinger.client.send("ping"), HEARTBEAT_MS / 2),
    ];
    try {
      const started = Date.now();
      const closed = await Promise.race([
        silent.client.closed,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the silent socket was not closed")), 8 * HEARTBEAT_MS)),
      ]);
      expect(closed.code).toBe(4202);
      // Not before two intervals of silence.
      expect(Date.now() - started).toBeGreaterThanOrEqual(2 * HEARTBEAT_MS - 200);
      const offline = await textPinger.client.next((f) => f.type === "presence" && f.data.status === "offline", 3000);
      expect(offline.data.user_id).toBe(a.userId);
      // Two more intervals: the pingers are still served.
      await new Promise((r) => setTimeout(r, 2 * HEARTBEAT_MS + 500));
      const ack = await jsonPinger.client.request("message.send", { client_msg_id: "still-here", body: "alive" });
      expect(ack.type).toBe("message.ack");
      expect((await textPinger.client.next("message.new", 3000)).data.message.body).toBe("alive");
    } finally {
      for (const t of timers) clearInterval(t);
      textPinger.client.close();
      jsonPinger.client.close();
    }
  });

  it("closes a silent inbox socket with 4202 too (one sweep serves both sockets)", async () => {
    const a = await login(engine.url);
    const ws = new WebSocket(`${engine.wsUrl}/v1/inbox/ws`, { headers: { authorization: `Bearer ${a.token}` } });
    ws.on("error", () => undefined);
    const client = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("close", (code) => reject(new Error(`closed (${code}) before it opened`)));
    });
    expect((await client.request("hello")).type).toBe("hello.ack");
    const closed = await Promise.race([
      client.closed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the silent inbox socket was not closed")), 8 * HEARTBEAT_MS)),
    ]);
    expect(closed.code).toBe(4202);
  });
});
