/**
 * Bots, webhooks and web push end to end (docs/protocol.md §22.14–§22.16):
 * the real engine (`wrangler dev`) calls fake services this test starts on
 * 127.0.0.1 — a bot's webhook, an app backend's webhook receiver, a push
 * service that checks VAPID and decrypts what it gets with Node's crypto.
 */
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../support/engine.ts";
import { api, login, refusedUpgrade, socketUrl, uniqueName, type Session } from "../support/e2e-helpers.ts";
import { FakeReceiver, decryptPush, subscriptionKeys, verifyParley } from "../support/receivers.ts";
import { generateVapidKeys, verifyVapid } from "../../src/push/webpush.ts";
import { verifySignature } from "../../src/webhooks/signature.ts";

let engine: Engine;
let receiver: FakeReceiver;
let op: Session;
const OPERATOR = uniqueName("ops");

beforeAll(async () => {
  receiver = await FakeReceiver.start();
  const vapid = await generateVapidKeys();
  engine = await Engine.start({
    vars: {
      OPERATORS: OPERATOR, WEBHOOK_ALLOW_LOOPBACK: "true", PUSH_ENDPOINTS: "http://127.0.0.1", LOG_LEVEL: "warn",
      VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: "mailto:ops@example.com",
    },
  });
  op = await login(engine.url, OPERATOR);
});

afterAll(async () => {
  await engine?.stop();
  await receiver?.stop();
});

const call = (method: string, path: string, token?: string, body?: unknown) => api(engine.url, method, path, token, body);

async function group(owner: Session, members: string[], title = "room"): Promise<string> {
  const res = await call("POST", "/v1/conversations", owner.token, { kind: "group", title, members });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation.id;
}

async function messages(token: string, id: string): Promise<any[]> {
  return (await call("GET", `/v1/conversations/${id}/messages?after_seq=0&limit=100`, token)).body.messages;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a bot", () => {
  it("answers a mention in its webhook's response (once, after a failed try), and later over REST with its token, idempotently", async () => {
    const name = uniqueName("helper_bot");
    const created = await call("POST", "/v1/admin/bots", op.token, { username: name, display_name: "Helper", webhook_url: `${receiver.url}/bot/${name}` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const { token, webhook_secret: secret } = created.body;
    const botId = created.body.bot.user.id as string;
    expect(created.body.bot.user).toMatchObject({ id: botId, username: name, bot: true, display_name: "Helper" });
    expect((await call("GET", `/v1/users/${name}`, op.token)).body.user.bot).toBe(true);

    let calls = 0;
    receiver.handle(async (r) => {
      if (!r.path.startsWith(`/bot/${name}`)) return { status: 404 };
      calls++;
      // The first call fails: the bot is called again, and its answer is posted once.
      if (calls === 1) return { status: 503 };
      const ok = await verifySignature(secret, r.body.toString(), String(r.headers["parley-signature"]));
      if (!ok) return { status: 401 };
      const payload = JSON.parse(r.body.toString());
      return { status: 200, type: "application/json", body: JSON.stringify({ body: `pong to ${payload.sender.username}: ${payload.message.body}`, reply_to: payload.message.seq }) };
    });

    const alice = await login(engine.url);
    const room = await group(alice, [name]);
    expect((await call("POST", `/v1/conversations/${room}/messages`, alice.token, { client_msg_id: "q1", body: `hey @${name} ping` })).status).toBe(200);
    const reply = await until("the bot's answer", async () => (await messages(alice.token, room)).find((m) => m.sender_id === botId));
    expect(reply).toMatchObject({ body: `pong to ${alice.username}: hey @${name} ping`, reply_to_seq: 1, client_msg_id: "bot-re-1" });
    const sent = receiver.on(`/bot/${name}`);
    expect(sent.length).toBe(2);
    const payload = JSON.parse(sent[1]!.body.toString());
    expect(payload).toMatchObject({ type: "bot.message", reason: "mention", conversation: { id: room, kind: "group" }, message: { seq: 1 }, sender: { id: alice.userId } });
    // Signed, with a fresh timestamp; a changed body does not verify.
    expect(await verifySignature(secret, sent[1]!.body.toString(), String(sent[1]!.headers["parley-signature"]))).toBe(true);
    expect(await verifySignature(secret, sent[1]!.body.toString() + " ", String(sent[1]!.headers["parley-signature"]))).toBe(false);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await messages(alice.token, room)).filter((m) => m.sender_id === botId)).toHaveLength(1);

    // Later, over REST with its token: the same client_msg_id twice posts once.
    const first = await call("POST", `/v1/conversations/${room}/messages`, token, { client_msg_id: "later-1", body: "done thinking" });
    expect(first.status).toBe(200);
    const again = await call("POST", `/v1/conversations/${room}/messages`, token, { client_msg_id: "later-1", body: "done thinking" });
    expect(again.body).toMatchObject({ seq: first.body.seq, duplicate: true });
    expect((await messages(alice.token, room)).filter((m) => m.sender_id === botId)).toHaveLength(2);
    // Bots may not open sockets; a rotated token replaces the old one at once.
    const ws = await refusedUpgrade(socketUrl(engine.wsUrl, room), { authorization: `Bot ${token}` });
    expect(ws.status).toBe(403);
    const rotated = await call("POST", `/v1/admin/bots/${botId}/token`, op.token);
    expect(rotated.status).toBe(201);
    expect((await call("GET", "/v1/me", token)).status).toBe(401);
    expect((await call("GET", "/v1/me", rotated.body.token)).status).toBe(200);
  });
});

describe("a webhook endpoint", () => {
  it("that fails and then recovers receives every event of a conversation once, in order, signed; the log shows it and replays", async () => {
    let hookCalls = 0;
    const accepted = new Map<string, any>();
    const order: string[] = [];
    let secret = "";
    receiver.handle(async (r) => {
      if (!r.path.startsWith("/hook")) return { status: 404 };
      hookCalls++;
      if (hookCalls <= 2) return { status: 500 };
      if (!(await verifySignature(secret, r.body.toString(), String(r.headers["parley-signature"])))) return { status: 401 };
      if (!verifyParley(secret, r.body.toString(), r.headers["parley-signature"])) return { status: 401 };
      const event = JSON.parse(r.body.toString());
      if (!accepted.has(event.id)) {
        accepted.set(event.id, event);
        order.push(event.id);
      }
      return { status: 204 };
    });
    const created = await call("POST", "/v1/admin/webhooks", op.token, {
      url: `${receiver.url}/hook`, events: ["conversation.created", "member.joined", "member.left", "message.created", "message.edited", "message.deleted"],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    secret = created.body.secret;
    const hookId = created.body.webhook.id as string;
    expect((await call("GET", "/v1/admin/webhooks", op.token)).body.webhooks.find((w: any) => w.id === hookId).secret).toBeUndefined();

    const [a, b, c] = [await login(engine.url), await login(engine.url), await login(engine.url)];
    const room = await group(a, [b.username]);
    for (let i = 1; i <= 3; i++) expect((await call("POST", `/v1/conversations/${room}/messages`, a.token, { client_msg_id: `w${i}`, body: `event ${i}` })).status).toBe(200);
    expect((await call("PATCH", `/v1/conversations/${room}/messages/2`, a.token, { body: "event 2, edited" })).status).toBe(200);
    expect((await call("DELETE", `/v1/conversations/${room}/messages/3`, a.token)).status).toBe(200);
    expect((await call("POST", `/v1/conversations/${room}/members`, a.token, { usernames: [c.username] })).status).toBe(200);
    expect((await call("DELETE", `/v1/conversations/${room}/members/${b.userId}`, b.token)).status).toBe(200);

    const expected = ["conversation.created", "message.created", "message.created", "message.created", "message.edited", "message.deleted", "member.joined", "member.left"];
    const mine = () => order.map((id) => accepted.get(id)).filter((e) => e.conversation_id === room);
    await until("every event", async () => (mine().length >= expected.length ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect(mine().map((e) => e.type)).toEqual(expected);
    expect(mine().map((e) => e.data.message?.seq).filter(Boolean)).toEqual([1, 2, 3, 2, 3]);
    expect(mine()[4].data.message.body).toBe("event 2, edited");

    const log = await call("GET", `/v1/admin/webhooks/${hookId}/deliveries?limit=50`, op.token);
    expect(log.status).toBe(200);
    const ours = log.body.deliveries.filter((d: any) => d.conversation_id === room);
    expect(ours).toHaveLength(expected.length);
    expect(ours.every((d: any) => d.status === "delivered")).toBe(true);
    expect(ours[0].attempts).toBe(3);
    expect(ours[0].last_status).toBe(204);

    // A replay sends the same event (same id) again; the receiver can tell it by its id.
    const before = hookCalls;
    const replay = await call("POST", `/v1/admin/webhooks/${hookId}/deliveries/${ours[1].id}/replay`, op.token);
    expect(replay.status).toBe(200);
    await until("the replay", async () => (hookCalls > before ? true : undefined));
    const last = receiver.on("/hook").at(-1)!;
    expect(JSON.parse(last.body.toString()).id).toBe(ours[1].id);
    expect(last.headers["parley-event-id"]).toBe(ours[1].id);
  });
});

describe("web push", () => {
  it("is delivered encrypted when no session is open; not while one is, nor when muted; a 410 removes the subscription", async () => {
    const pushes: Array<{ path: string; text: string }> = [];
    const keys = subscriptionKeys();
    const goneKeys = subscriptionKeys();
    receiver.handle(async (r) => {
      if (!r.path.startsWith("/push/")) return { status: 404 };
      if (!(await verifyVapid(String(r.headers.authorization), receiver.url))) return { status: 403 };
      if (r.headers["content-encoding"] !== "aes128gcm") return { status: 400 };
      if (r.path.startsWith("/push/gone")) return { status: 410 };
      pushes.push({ path: r.path, text: decryptPush(r.body, keys) });
      return { status: 201 };
    });
    const [sender, me] = [await login(engine.url), await login(engine.url)];
    expect((await call("GET", "/v1/push/vapid-key", me.token)).body.public_key).toMatch(/^[\w-]{87}$/);
    // Hostile subscriptions are refused.
    for (const body of [
      { endpoint: "https://evil.example/push", keys: { p256dh: keys.p256dh, auth: keys.auth.toString("base64url") } },
      { endpoint: `${receiver.url}/push/x`, keys: { p256dh: "short", auth: keys.auth.toString("base64url") } },
      { endpoint: `${receiver.url}/push/x`, keys: { p256dh: keys.p256dh } },
    ]) {
      expect((await call("POST", "/v1/me/push-subscriptions", me.token, body)).status).toBe(400);
    }
    const subscribe = (path: string, k: typeof keys) =>
      call("POST", "/v1/me/push-subscriptions", me.token, { endpoint: `${receiver.url}${path}`, keys: { p256dh: k.p256dh, auth: k.auth.toString("base64url") } });
    expect((await subscribe(`/push/${me.username}`, keys)).status).toBe(201);

    const room = await group(sender, [me.username], "pushy");
    const send = (key: string, body: string) => call("POST", `/v1/conversations/${room}/messages`, sender.token, { client_msg_id: key, body });
    expect((await send("p1", `hi @${me.username}, lunch?`)).status).toBe(200);
    await until("a push", async () => (pushes.length > 0 ? true : undefined));
    const first = JSON.parse(pushes[0]!.text);
    expect(first).toMatchObject({ kind: "mention", conversation_id: room, seq: 1, title: `${sender.username} mentioned you` });
    expect(first.body).toContain("lunch?");

    // While an inbox socket is open, nothing is pushed.
    const inbox = new WebSocket(`${engine.wsUrl}/v1/inbox/ws`, { headers: { authorization: `Bearer ${me.token}` } });
    await new Promise<void>((resolve, reject) => {
      inbox.once("open", () => inbox.send(JSON.stringify({ v: 1, type: "hello", data: {} })));
      inbox.on("message", (raw) => {
        if (String(raw).includes("inbox.snapshot")) resolve();
      });
      inbox.once("error", reject);
    });
    expect((await send("p2", `@${me.username} are you there?`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect(pushes).toHaveLength(1);
    inbox.close();
    await new Promise((r) => setTimeout(r, 500));

    // Muted: nothing either.
    expect((await call("PUT", `/v1/conversations/${room}/mute`, me.token, {})).status).toBe(200);
    expect((await send("p3", `@${me.username} muted?`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    expect(pushes).toHaveLength(1);
    expect((await call("DELETE", `/v1/conversations/${room}/mute`, me.token)).status).toBe(200);

    // A subscription the push service says is gone (410) is removed: it is not tried again.
    expect((await subscribe("/push/gone", goneKeys)).status).toBe(201);
    expect((await send("p4", `@${me.username} again`)).status).toBe(200);
    await until("two more pushes", async () => (pushes.length >= 2 && receiver.on("/push/gone").length >= 1 ? true : undefined));
    expect((await send("p5", `@${me.username} and again`)).status).toBe(200);
    await until("the next push", async () => (pushes.length >= 3 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1000));
    expect(receiver.on("/push/gone")).toHaveLength(1);
    expect(JSON.parse(pushes[2]!.text).body).toContain("and again");
  });
});
