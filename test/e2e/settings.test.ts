/**
 * Limits are deployment settings: an engine started with its own SEND_RATE,
 * MAX_SOCKETS_PER_USER and MAX_INBOX_SOCKETS announces and enforces those,
 * not the defaults.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../support/engine.ts";
import { type Joined, directPair, joinedClient, refusedUpgrade, socketUrl } from "../support/e2e-helpers.ts";

let engine: Engine;
const open: Joined[] = [];

beforeAll(async () => {
  engine = await Engine.start({ vars: { SEND_RATE: "3/60000", MAX_SOCKETS_PER_USER: "2", MAX_INBOX_SOCKETS: "1", LOG_LEVEL: "warn" } });
});

afterAll(async () => {
  for (const j of open) j.client.close();
  await engine?.stop();
});

describe("limits set by the deployment", () => {
  it("announces SEND_RATE in hello.ack and refuses the send past it", async () => {
    const { a, conversationId } = await directPair(engine.url);
    const joined = await joinedClient(engine.wsUrl, a, conversationId);
    open.push(joined);
    expect(joined.hello.data.limits.send_rate).toEqual({ messages: 3, per_ms: 60_000 });
    for (let i = 1; i <= 3; i++) {
      expect((await joined.client.request("message.send", { client_msg_id: `k${i}`, body: `m${i}` })).type).toBe("message.ack");
    }
    const refused = await joined.client.request("message.send", { client_msg_id: "k4", body: "one too many" });
    expect(refused.type).toBe("error");
    expect(refused.data).toMatchObject({ code: "rate_limited", retryable: true });
    expect(refused.data.retry_after_ms).toBeGreaterThan(10_000);
  });

  it("caps sockets per user and conversation at MAX_SOCKETS_PER_USER, and inbox sockets at MAX_INBOX_SOCKETS", async () => {
    const { a, conversationId } = await directPair(engine.url);
    open.push(await joinedClient(engine.wsUrl, a, conversationId), await joinedClient(engine.wsUrl, a, conversationId));
    const third = await refusedUpgrade(socketUrl(engine.wsUrl, conversationId), { authorization: `Bearer ${a.token}` });
    expect(third.status).toBe(429);
    expect(third.body).toMatchObject({ code: "rate_limited" });

    const { default: WebSocket } = await import("ws");
    const first = new WebSocket(`${engine.wsUrl}/v1/inbox/ws`, { headers: { authorization: `Bearer ${a.token}` } });
    first.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => {
      first.once("open", () => resolve());
      first.once("close", (code) => reject(new Error(`closed (${code}) before it opened`)));
    });
    try {
      const second = await refusedUpgrade(`${engine.wsUrl}/v1/inbox/ws`, { authorization: `Bearer ${a.token}` });
      expect(second.status).toBe(429);
    } finally {
      first.close();
    }
  });
});
