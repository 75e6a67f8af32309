import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mintAccessToken } from "../../src/auth/tokens.ts";
import { configOf } from "../../src/shared/config.ts";
import { api, createDirect, createGroup, joined, login, openSocket } from "./helpers.ts";

const SECRET = "test-secret-for-workerd-tests-only";

async function send(token: string, id: string, n: number) {
  for (let i = 0; i < n; i++) await api("POST", `/v1/conversations/${id}/messages`, token, { client_msg_id: `e${i}`, body: `m${i}` });
}

describe("receipts", () => {
  it("move forward only, are capped at last_seq, and reach every joined socket", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    await send(a.token, id, 3);
    const { client: ca } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    const mine = await cb.request("receipt.read", { up_to_seq: 2 });
    expect(mine.data).toEqual({ user_id: b.userId, read_seq: 2, delivered_seq: 2 });
    expect((await ca.next("receipt.updated")).data).toEqual({ user_id: b.userId, read_seq: 2, delivered_seq: 2 });
    // Lower: nothing changes, and only the requester hears about it.
    const lower = await cb.request("receipt.read", { up_to_seq: 1 });
    expect(lower.data.read_seq).toBe(2);
    // Beyond the end: capped at last_seq (3).
    const capped = await cb.request("receipt.delivered", { up_to_seq: 99 });
    expect(capped.data).toEqual({ user_id: b.userId, read_seq: 2, delivered_seq: 3 });
    await ca.quiet(200);
    expect(ca.all("receipt.updated")).toEqual([
      { user_id: b.userId, read_seq: 2, delivered_seq: 2 },
      { user_id: b.userId, read_seq: 2, delivered_seq: 3 },
    ]);
    // A later join sees the stored watermarks.
    const { joinedFrame } = await joined(a, id);
    expect(joinedFrame.data.receipts).toContainEqual({ user_id: b.userId, read_seq: 2, delivered_seq: 3 });
    ca.close();
    cb.close();
  });
});

describe("typing", () => {
  it("goes to the other members, not back to the typist", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const id = await createGroup(a, [b, c]);
    const { client: ca } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    const { client: cc } = await joined(c, id);
    ca.send("typing.start");
    expect((await cb.next("typing")).data).toEqual({ user_id: a.userId, state: "start", expires_in_ms: 6000 });
    expect((await cc.next("typing")).data.user_id).toBe(a.userId);
    ca.send("typing.stop");
    expect((await cb.next("typing")).data).toEqual({ user_id: a.userId, state: "stop", expires_in_ms: 0 });
    await ca.quiet(200);
    expect(ca.all("typing")).toEqual([]);
    for (const c2 of [ca, cb, cc]) c2.close();
  });
});

describe("presence", () => {
  it("a member is online with their first joined socket and offline after their last", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client: cb } = await joined(b, id);
    const first = await joined(a, id);
    expect(first.joinedFrame.data.online.sort()).toEqual([a.userId, b.userId].sort());
    expect((await cb.next("presence")).data).toEqual({ user_id: a.userId, status: "online" });
    const second = await joined(a, id);
    first.client.close();
    await cb.quiet(300);
    expect(cb.all("presence")).toHaveLength(1); // still online through the second socket
    second.client.close();
    const offline = await cb.next("presence");
    expect(offline.data).toMatchObject({ user_id: a.userId, status: "offline" });
    expect(offline.data.last_seen_at).toBeGreaterThan(0);
    cb.close();
  });
});

describe("tokens on an open socket", () => {
  it("auth.refresh swaps the token in place", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client } = await joined(a, id);
    const fresh = await mintAccessToken(SECRET, { userId: a.userId, username: a.username, sessionId: "s2" }, Date.now(), 30 * 60_000);
    const ok = await client.request("auth.refresh", { access_token: fresh.token });
    expect(ok).toMatchObject({ type: "auth.refreshed", data: { expires_at: fresh.expiresAt } });
    const bad = await client.request("auth.refresh", { access_token: "garbage" });
    expect(bad.data.code).toBe("unauthorized");
    expect((await client.request("ping")).type).toBe("pong");
    client.close();
  });

  it("a token of another user is forbidden and closes the socket with 4003", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client } = await joined(a, id);
    const err = await client.request("auth.refresh", { access_token: b.token });
    expect(err.data.code).toBe("forbidden");
    expect((await client.closed).code).toBe(4003);
  });

  it("an expired token gets connection.closing{token_expired} at the next frame and close 4101", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const short = await mintAccessToken(SECRET, { userId: a.userId, username: a.username, sessionId: "s" }, Date.now(), 1500);
    const { client } = await openSocket(short.token, id);
    expect((await client!.request("hello")).type).toBe("hello.ack");
    await new Promise((r) => setTimeout(r, Math.max(0, short.expiresAt - Date.now()) + 100));
    client!.send("ping");
    const closing = await client!.next("connection.closing");
    expect(closing.data).toEqual({ reason: "token_expired", retry: true });
    expect((await client!.closed).code).toBe(4101);
  });
});

describe("amplification limits", () => {
  it("a burst of typing.start is relayed once per interval; the stop after it passes once", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client: ca } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    // Fifteen: within the socket's typing budget (20 per 10 s), so only the per-user interval is at work.
    for (let i = 0; i < 15; i++) ca.send("typing.start");
    await cb.next("typing");
    await cb.quiet(300);
    expect(cb.all("typing").map((t) => t.state)).toEqual(["start"]);
    ca.send("typing.stop");
    await cb.next((f) => f.type === "typing" && f.data.state === "stop");
    ca.send("typing.stop");
    await cb.quiet(300);
    expect(cb.all("typing").map((t) => t.state)).toEqual(["start", "stop"]);
    ca.close();
    cb.close();
  });

  it("typing.stop is relayed only after a relayed start: 300 stops, or 300 start/stop pairs, are not 300 frames for everyone", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const id = await createGroup(a, [b, c]);
    const { client: ca } = await joined(a, id);
    const { client: ca2 } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    // Stops alone, from two sockets of the user: nothing to stop, nothing relayed.
    for (let i = 0; i < 10; i++) ca.send("typing.stop");
    for (let i = 0; i < 10; i++) ca2.send("typing.stop");
    await cb.quiet(300);
    expect(cb.all("typing")).toEqual([]);
    // Alternating start and stop: one start and the one stop after it go out.
    const { client: cc } = await joined(c, id);
    for (let i = 0; i < 8; i++) {
      cc.send("typing.start");
      cc.send("typing.stop");
    }
    await cb.next((f) => f.type === "typing" && f.data.state === "stop");
    await cb.quiet(300);
    expect(cb.all("typing").map((t) => [t.user_id, t.state])).toEqual([[c.userId, "start"], [c.userId, "stop"]]);
    // Nobody was answered: typing frames have no answer, refused or not.
    for (const client of [ca, ca2, cc]) expect(client.all("error")).toEqual([]);
    for (const client of [ca, ca2, cb, cc]) client.close();
  });

  it("typing frames past the socket's budget (TYPING_RATE) are dropped unanswered; another socket has its own budget", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client: ca } = await joined(a, id);
    const { client: cb } = await joined(b, id);
    // Stops with nothing to stop spend the whole budget and relay nothing...
    const budget = configOf(env).typingRate.messages;
    for (let i = 0; i < budget; i++) ca.send("typing.stop");
    // (Let them all land first: a loaded test pool has been seen to deliver a burst out of order.)
    expect((await ca.request("ping")).type).toBe("pong");
    await new Promise((r) => setTimeout(r, 300));
    // ...so this first start, which the room would otherwise relay, is dropped.
    ca.send("typing.start");
    // The socket stays open and usable, no error came back, and no bad frame was counted.
    expect((await ca.request("ping")).type).toBe("pong");
    await cb.quiet(300);
    expect(cb.all("typing")).toEqual([]);
    expect(ca.all("error")).toEqual([]);
    const { client: other } = await joined(a, id);
    other.send("typing.start");
    expect((await cb.next("typing")).data).toEqual({ user_id: a.userId, state: "start", expires_in_ms: 6000 });
    for (const client of [ca, cb, other]) client.close();
  });

  it("replays beyond the user's budget (SYNC_BUDGET, by messages, at least 10 a request) are rate_limited; the socket stays usable, and a new socket does not reset it", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { client } = await joined(a, id); // a join without a cursor costs nothing
    // The tests' budget is 2000 messages a burst (vitest.config.mts); an empty page costs 10, so 200 empty syncs spend it.
    const burst = configOf(env).syncBudget.messages / 10;
    for (let i = 0; i < burst; i++) client.send("sync", { after_seq: 0 }, `s${i}`);
    await client.waitFor("messages.batch", burst, 30_000);
    const limited = await client.request("sync", { after_seq: 0 });
    expect(limited.data.code).toBe("rate_limited");
    expect(limited.data.retry_after_ms).toBeGreaterThan(0);
    expect((await client.request("ping")).type).toBe("pong");
    // The budget is the user's in this conversation, not the socket's: a new socket's replay join is refused too, and stays unjoined.
    const { client: again } = await openSocket(a.token, id);
    expect((await again!.request("hello", { client: { name: "test", version: "1" } })).type).toBe("hello.ack");
    const refused = await again!.request("conversation.join", { after_seq: 0 });
    expect(refused.type).toBe("error");
    expect(refused.data.code).toBe("rate_limited");
    expect((await again!.request("sync", { after_seq: 0 })).data.code).toBe("not_joined");
    // Another member is not affected.
    const { client: other } = await joined(b, id, { after_seq: 0 });
    expect((await other.next("messages.batch")).data).toEqual({ messages: [], has_more: false });
    for (const c of [client, again!, other]) c.close();
  });
});
