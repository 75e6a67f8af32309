/**
 * The SDK's methods for the v1.2 routes against the real engine, from Node
 * (the first round is test/browser/sdk-api.test.ts): sign-in with passkeys
 * (a software authenticator, test/support/soft-authenticator.ts), the
 * user's passkeys, identities and sessions, presence over REST, a topic's
 * catch-up, invite links, web push, a bot's backend with its token, and the
 * operators' `api.admin` namespace. Every answer is checked by the
 * contract's schema inside the SDK; each test asserts what the call did
 * (another session's refresh refused, a member added, a user suspended),
 * not only what it answered. The fake push service and webhook receiver are
 * started here on 127.0.0.1 (test/support/receivers.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ParleyApi, ParleyClient, ParleyError, SDK_VERSION, type LoginResponse } from "../../client/src/index.ts";
import { generateVapidKeys } from "../../src/push/webpush.ts";
import { uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";
import { FakeReceiver, decryptPush, subscriptionKeys } from "../support/receivers.ts";
import { SoftAuthenticator } from "../support/soft-authenticator.ts";

const OPERATOR = uniqueName("ops");
const TOPICS_KEY = "sdk-more-topics-key-0123456789abcdef";
let engine: Engine;
let receiver: FakeReceiver;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  receiver = await FakeReceiver.start();
  const vapid = await generateVapidKeys();
  engine = await Engine.start({
    vars: {
      OPERATORS: OPERATOR, WEBHOOK_ALLOW_LOOPBACK: "true", PUSH_ENDPOINTS: "http://127.0.0.1", TOPICS_API_KEY: TOPICS_KEY, LOG_LEVEL: "warn",
      VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: "mailto:ops@example.com",
    },
  });
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await engine?.stop();
  await receiver?.stop();
});

function clientFor(login: LoginResponse): ParleyClient {
  const client = new ParleyClient({ baseUrl: engine.url, token: login, WebSocket, storage: null, presence: { autoAwayMs: false } });
  clients.push(client);
  return client;
}

const signIn = (name: string) => ParleyApi.devLogin(engine.url, uniqueName(name));

async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ParleyError);
    return (err as ParleyError).code;
  }
  throw new Error("expected a refusal");
}

describe("sign-in, passkeys, identities and sessions", () => {
  it("signs up and in with a passkey, adds, renames and removes passkeys, keeps the last one, and lists no identities", async () => {
    // A WebAuthn RP ID cannot be an IP address: this test talks to the engine as http://localhost.
    const base = engine.url.replace("127.0.0.1", "localhost");
    expect(await ParleyApi.signInMethods(base)).toEqual({ dev_login: true, passkeys: true, oauth: [] });
    const device = new SoftAuthenticator(base);
    const username = uniqueName("pk");

    const signUp = await ParleyApi.passkeySignUpOptions(base, username);
    expect(signUp.ceremony_id).toMatch(/^cer/);
    const session = await ParleyApi.passkeySignUp(base, signUp.ceremony_id, await device.create(signUp.options), { name: "Laptop" });
    expect(session.user.username).toBe(username);
    expect(await refusal(ParleyApi.passkeySignUpOptions(base, username))).toBe("conflict");

    const login = await ParleyApi.passkeySignInOptions(base, username);
    const again = await ParleyApi.passkeySignIn(base, login.ceremony_id, await device.get(login.options));
    expect(again.user).toEqual(session.user);
    // A ceremony is used once: the same answer again is refused.
    expect(await refusal(ParleyApi.passkeySignIn(base, login.ceremony_id, await device.get(login.options)))).toBe("unauthorized");

    const local = new ParleyClient({ baseUrl: base, token: again, WebSocket, storage: null });
    clients.push(local);
    const api = local.api;
    const [laptop] = await api.passkeys();
    expect(laptop).toMatchObject({ name: "Laptop", backed_up: false });
    const adding = await api.addPasskeyOptions();
    const phone = await api.addPasskey(adding.ceremony_id, await device.create(adding.options), "Phone");
    expect((await api.passkeys()).map((p) => p.name)).toEqual(["Laptop", "Phone"]);
    expect((await api.renamePasskey(phone.id, "Old phone")).name).toBe("Old phone");
    expect(await refusal(api.renamePasskey(phone.id, "   "))).toBe("bad_request");
    expect(await refusal(api.renamePasskey("pk_0000000000000000", "x"))).toBe("not_found");
    await api.deletePasskey(laptop!.id);
    expect((await api.passkeys()).map((p) => p.id)).toEqual([phone.id]);
    // The last way to sign in stays.
    expect(await refusal(api.deletePasskey(phone.id))).toBe("conflict");
    // The removed passkey no longer signs in.
    const stale = await ParleyApi.passkeySignInOptions(base);
    expect(await refusal(ParleyApi.passkeySignIn(base, stale.ceremony_id, await device.get(stale.options, device.credentials[0])))).toBe("unauthorized");

    expect(await api.identities()).toEqual([]);
    expect(await refusal(api.unlinkIdentity("github"))).toBe("not_found");
  });

  it("lists sessions, revokes one and then every other: their refresh tokens stop working, this one goes on", async () => {
    const name = uniqueName("sess");
    const [here, phone, tablet] = [
      await ParleyApi.devLogin(engine.url, name),
      await ParleyApi.devLogin(engine.url, name),
      await ParleyApi.devLogin(engine.url, name),
    ];
    const api = clientFor(here).api;
    const sessions = await api.sessions();
    expect(sessions).toHaveLength(3);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(sessions.every((s) => s.method === "dev")).toBe(true);

    // Which session is the phone's: the one that is current for the phone's token.
    const phoneSession = (await clientFor(phone).api.sessions()).find((s) => s.current)!;
    await api.revokeSession(phoneSession.id);
    expect(await refusal(ParleyApi.refreshSession(engine.url, phone.refresh_token!))).toBe("unauthorized");
    expect((await api.sessions()).map((s) => s.id)).not.toContain(phoneSession.id);
    expect(await refusal(api.revokeSession(phoneSession.id))).toBe("not_found");
    expect(await refusal(api.revokeSession("garbage/../x"))).toBe("not_found");

    expect(await api.revokeOtherSessions()).toBe(1);
    expect(await refusal(ParleyApi.refreshSession(engine.url, tablet.refresh_token!))).toBe("unauthorized");
    const remaining = await api.sessions();
    expect(remaining).toHaveLength(1);
    expect(remaining[0]!.current).toBe(true);
    const renewed = await ParleyApi.refreshSession(engine.url, here.refresh_token!);
    expect(renewed.user).toEqual(here.user);
  });
});

describe("presence and topics over REST", () => {
  it("setPresence busy reaches a contact's inbox and their view of the user; offline and without a socket are refused", async () => {
    const [alice, bob] = await Promise.all([signIn("alice"), signIn("bob")]);
    const a = clientFor(alice);
    const b = clientFor(bob);
    await a.api.createDirect(bob.user.username);
    expect(await refusal(a.api.setPresence("busy"))).toBe("conflict"); // no inbox socket: offline

    const bobInbox = b.inbox().connect();
    a.inbox().connect();
    await until("both inboxes live", () => bobInbox.status === "connected" && a.inbox().status === "connected");
    expect(await a.api.setPresence("busy")).toEqual({ status: "busy" });
    await until("bob's inbox hears busy", () => bobInbox.presenceOf(alice.user.id)?.status === "busy");
    expect(await b.api.user(alice.user.username)).toMatchObject({ id: alice.user.id, presence: "busy" });
    expect(await refusal(a.api.setPresence("offline" as "online"))).toBe("bad_request");

    // The privacy setting, through the SDK's PATCH /v1/me: bob's view of alice carries no presence.
    const patched = await a.api.updateMe({ settings: { share_presence: false } });
    expect(patched.settings.share_presence).toBe(false);
    await until("alice's presence hidden", async () => (await b.api.user(alice.user.username)).presence === undefined);
  });

  it("topicEvents catches up after a seq, says last_seq without one, and is not_found for a topic one may not read", async () => {
    const name = `feed:${uniqueName("t")}`;
    const backend = (method: string, path: string, body: unknown) =>
      fetch(`${engine.url}/v1/topics/${encodeURIComponent(name)}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOPICS_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      }).then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))));
    await backend("PUT", "", { access: "public" });
    for (const n of [1, 2, 3]) await backend("POST", "/events", { n });
    const api = clientFor(await signIn("reader")).api;
    const page = await api.topicEvents(name, { afterSeq: 1 });
    expect(page.events.map((e) => [e.seq, e.data])).toEqual([[2, { n: 2 }], [3, { n: 3 }]]);
    expect(page).toMatchObject({ last_seq: 3, has_more: false });
    expect(await api.topicEvents(name, { afterSeq: 0, limit: 1 })).toMatchObject({ events: [{ seq: 1 }], has_more: true });
    expect(await api.topicEvents(name)).toMatchObject({ events: [], last_seq: 3 });
    expect(await refusal(api.topicEvents(`feed:${uniqueName("none")}`))).toBe("not_found");
    expect(await refusal(api.topicEvents(name, { limit: 5000 }))).toBe("bad_request");
  });
});

describe("invite links and leaving", () => {
  it("an invite made with the SDK is previewed and joined by another user, listed, revoked; a plain member cannot make one; a member leaves", async () => {
    const [owner, member, joiner, late] = await Promise.all(["own", "mem", "join", "late"].map(signIn));
    const own = clientFor(owner!).api;
    const group = await own.createGroup("Book club", [member!.user.username]);
    const created = await own.createInvite(group.id, { maxUses: 5, expiresIn: 3_600_000 });
    expect(created.url).toContain(encodeURIComponent(created.code));
    expect(created.invite).toMatchObject({ uses: 0, max_uses: 5, revoked: false, created_by: owner!.user.id });

    const them = clientFor(joiner!).api;
    expect(await them.previewInvite(created.code)).toMatchObject({ title: "Book club", member_count: 2 });
    const joined = await them.joinInvite(created.code);
    expect(joined.joined).toBe(true);
    expect(joined.conversation.id).toBe(group.id);
    expect((await own.members(group.id)).members.map((m) => m.user_id)).toContain(joiner!.user.id);
    expect((await them.joinInvite(created.code)).joined).toBe(false);
    expect((await own.invites(group.id)).map((i) => [i.id, i.uses])).toEqual([[created.invite.id, 1]]);

    expect(await refusal(clientFor(member!).api.createInvite(group.id))).toBe("forbidden");
    expect(await refusal(them.previewInvite("c_garbage.nothing"))).toBe("not_found");
    expect(await refusal(own.createInvite(group.id, { maxUses: 0 }))).toBe("bad_request");

    expect((await own.revokeInvite(group.id, created.invite.id)).revoked).toBe(true);
    expect(await refusal(clientFor(late!).api.joinInvite(created.code))).toBe("not_found");

    await them.leave(group.id);
    expect(await refusal(them.getConversation(group.id))).toBe("not_found");
    expect((await own.members(group.id)).members.map((m) => m.user_id)).not.toContain(joiner!.user.id);
  });
});

describe("web push", () => {
  it("gives the VAPID key, subscribes (a direct message is then pushed, encrypted), and unsubscribes", async () => {
    const [me, friend] = await Promise.all([signIn("pushme"), signIn("friend")]);
    const api = clientFor(me!).api;
    const key = await api.vapidKey();
    expect(key).toMatch(/^[\w-]{87}$/);
    const keys = subscriptionKeys();
    const path = `/push/sdk-${me!.user.username}`;
    const pushes: string[] = [];
    receiver.handle((r) => {
      if (r.path === path) pushes.push(decryptPush(r.body, keys));
      return { status: 201 };
    });
    const subscription = { endpoint: `${receiver.url}${path}`, keys: { p256dh: keys.p256dh, auth: keys.auth.toString("base64url") } };
    expect(await api.subscribePush(subscription)).toMatchObject({ subscriptions: 1 });
    expect(await refusal(api.subscribePush({ ...subscription, endpoint: "https://evil.example/push" }))).toBe("bad_request");

    const other = clientFor(friend!).api;
    const { id } = await other.createDirect(me!.user.username);
    await other.send(id, "are you there?");
    await until("a push", () => pushes.length > 0, 30_000);
    expect(JSON.parse(pushes[0]!)).toMatchObject({ kind: "direct", body: "are you there?", conversation_id: id });

    expect(await api.unsubscribePush(subscription.endpoint)).toBe(true);
    expect(await api.unsubscribePush(subscription.endpoint)).toBe(false);
  });
});

describe("bots and operators", () => {
  it("an operator makes a bot; its backend posts with the bot token; rotating and revoking the token stop the old one", async () => {
    const op = clientFor(await ParleyApi.devLogin(engine.url, OPERATOR)).api;
    const human = await signIn("human");
    const name = uniqueName("sdk_bot");
    const made = await op.admin.createBot({ username: name, display_name: "Helper" });
    expect(made.bot.user).toMatchObject({ username: name, bot: true, display_name: "Helper" });
    expect((await op.admin.bots()).map((b) => b.user_id)).toContain(made.bot.user.id);

    const bot = ParleyApi.forBot(engine.url, made.token);
    const { id } = await bot.createDirect(human.user.username);
    expect((await bot.send(id, "beep", { clientMsgId: "b-1" })).duplicate).toBe(false);
    const seen = await clientFor(human).api.history(id);
    expect(seen.messages.map((m) => [m.sender_id, m.body])).toEqual([[made.bot.user.id, "beep"]]);
    expect(() => ParleyApi.forBot(engine.url, "eyJhbGciOi.x.y")).toThrow(TypeError);

    const rotated = await op.admin.rotateBotToken(made.bot.user.id);
    expect(await refusal(bot.me())).toBe("unauthorized");
    const fresh = ParleyApi.forBot(engine.url, rotated);
    expect((await fresh.me()).user.id).toBe(made.bot.user.id);
    // A bot is not an operator.
    expect(await refusal(fresh.admin.metrics())).toBe("not_found");
    await op.admin.revokeBotToken(made.bot.user.id);
    expect(await refusal(fresh.me())).toBe("unauthorized");
    expect(await refusal(op.admin.rotateBotToken(human.user.id))).toBe("not_found");
  });

  it("an operator reads and resolves a report, deletes the message, suspends the reported user (whose calls are then forbidden) and lifts it", async () => {
    const op = clientFor(await ParleyApi.devLogin(engine.url, OPERATOR)).api;
    const [victim, troll] = await Promise.all([signIn("victim"), signIn("troll")]);
    const trollApi = clientFor(troll).api;
    const { id } = await trollApi.createDirect(victim.user.username);
    const { seq } = await trollApi.send(id, "something nasty");
    const filed = await clientFor(victim).api.report({ kind: "message", conversation_id: id, seq, reason: "abuse" });

    // A non-operator gets not_found from every admin route.
    expect(await refusal(trollApi.admin.reports())).toBe("not_found");

    let page = await op.admin.reports({ status: "open", limit: 200 });
    while (!page.reports.some((r) => r.id === filed.report.id) && page.next_cursor) page = await op.admin.reports({ status: "open", limit: 200, cursor: page.next_cursor });
    expect(page.reports.find((r) => r.id === filed.report.id)).toMatchObject({ kind: "message", target_user_id: troll.user.id, status: "open" });
    const read = await op.admin.report(filed.report.id);
    expect(read.context?.messages.map((m) => m.body)).toEqual(["something nasty"]);
    const resolved = await op.admin.resolveReport(filed.report.id, "removed the message, suspended");
    expect(resolved).toMatchObject({ status: "resolved", resolution_note: "removed the message, suspended" });
    expect(await refusal(op.admin.resolveReport(filed.report.id, "again"))).toBe("conflict");
    expect(await refusal(op.admin.resolveReport(filed.report.id, ""))).toBe("bad_request");

    const tomb = await op.admin.deleteMessage(id, seq);
    expect(tomb.seq).toBe(seq);
    const [gone] = (await clientFor(victim).api.history(id)).messages;
    expect(gone).toMatchObject({ seq, body: "" });
    expect(gone!.deleted_at).toBeGreaterThan(0);

    expect(await op.admin.suspend(troll.user.id, "abuse")).toMatchObject({ suspended: true });
    expect((await op.admin.user(troll.user.id)).standing).toMatchObject({ suspended: true, reason: "abuse" });
    expect(await refusal(trollApi.me())).toBe("forbidden");
    expect(await refusal(ParleyApi.refreshSession(engine.url, troll.refresh_token!))).toBe("forbidden");
    await op.admin.unsuspend(troll.user.id);
    expect((await trollApi.me()).user.id).toBe(troll.user.id);
    expect(await refusal(op.admin.suspend("u_nobody_here"))).toBe("not_found");

    const metrics = await op.admin.metrics();
    expect(typeof metrics.counters).toBe("object");
    expect(metrics.at).toBeGreaterThan(0);
  });

  it("an operator sets up a webhook, reads its delivery log, replays a delivery, and deletes it", async () => {
    const op = clientFor(await ParleyApi.devLogin(engine.url, OPERATOR)).api;
    const hookPath = `/hook/${uniqueName("wh")}`;
    receiver.handle(() => ({ status: 200 }));
    const made = await op.admin.createWebhook(`${receiver.url}${hookPath}`, ["message.created"]);
    expect(made.secret.length).toBeGreaterThan(10);
    expect((await op.admin.webhooks()).map((w) => w.id)).toContain(made.webhook.id);
    expect(await refusal(op.admin.createWebhook("ftp://nowhere.example", ["message.created"]))).toBe("bad_request");

    const [a, b] = await Promise.all([signIn("wa"), signIn("wb")]);
    const { id } = await clientFor(a).api.createDirect(b.user.username);
    await clientFor(a).api.send(id, "hooked");
    const events = () => receiver.on(hookPath).map((r) => JSON.parse(r.body.toString())).filter((e) => e.conversation_id === id);
    await until("the webhook got the message", () => events().length === 1, 30_000);
    const eventId = events()[0].id as string;
    await until("the log says delivered", async () => (await op.admin.deliveries(made.webhook.id, { status: "delivered" })).deliveries.some((d) => d.id === eventId));

    const replayed = await op.admin.replayDelivery(made.webhook.id, eventId);
    expect(replayed.id).toBe(eventId);
    await until("the replay arrived", () => events().length === 2, 30_000);
    expect(events()[1].id).toBe(eventId);
    expect(await op.admin.replayFailed(made.webhook.id)).toBe(0);

    await op.admin.deleteWebhook(made.webhook.id);
    expect((await op.admin.webhooks()).map((w) => w.id)).not.toContain(made.webhook.id);
    expect(await refusal(op.admin.deliveries(made.webhook.id))).toBe("not_found");
  });
});

it("the SDK's version follows the protocol's (v1.2)", () => {
  expect(SDK_VERSION.split(".").slice(0, 2).join(".")).toBe("1.2");
});
