/**
 * Bot accounts and push subscriptions at the Worker (docs/protocol.md
 * §22.14, §22.16): the bot flag in every user view, bot tokens (verified,
 * rotated, revoked, refused on sockets), tokens that claim a bot's id, and
 * hostile input. The calls to a bot's webhook are tested end to end
 * (test/e2e/integrations.test.ts), where a fake bot runs on 127.0.0.1.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mintAccessToken } from "../../src/auth/tokens.ts";
import { api, createGroup, login, uniqueName } from "./helpers.ts";

const SECRET = "test-secret-for-workerd-tests-only";

async function makeBot() {
  const op = await login("operator_root");
  const username = uniqueName("bot");
  const res = await api("POST", "/v1/admin/bots", op.token, { username, display_name: "Beep" });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { op, username, id: res.body.bot.user.id as string, token: res.body.token as string, secret: res.body.webhook_secret as string };
}

describe("a bot account", () => {
  it("is a user shown as a bot everywhere, added to groups like anyone, and speaks with its token", async () => {
    const bot = await makeBot();
    expect(bot.id.startsWith("u_bot_")).toBe(true);
    expect(bot.token.startsWith(`pbt_${bot.id}.`)).toBe(true);
    expect(bot.secret.startsWith("whsec_")).toBe(true);
    const alice = await login();
    expect((await api("GET", `/v1/users/${bot.username}`, alice.token)).body.user).toMatchObject({ id: bot.id, bot: true, display_name: "Beep" });
    const search = await api("GET", `/v1/users/search?q=${bot.username}`, alice.token);
    expect(search.body.users.find((u: { id: string }) => u.id === bot.id)?.bot).toBe(true);
    expect((await api("GET", `/v1/users/${alice.username}`, alice.token)).body.user.bot).toBeUndefined();
    const group = await createGroup(alice, []);
    expect((await api("POST", `/v1/conversations/${group}/members`, alice.token, { usernames: [bot.username] })).status).toBe(200);
    for (const header of [`Bot ${bot.token}`, `Bearer ${bot.token}`]) {
      const me = await api("GET", "/v1/me", undefined, undefined, { authorization: header });
      expect(me.status).toBe(200);
      expect(me.body.user).toMatchObject({ id: bot.id, bot: true });
    }
    const sent = await api("POST", `/v1/conversations/${group}/messages`, undefined, { client_msg_id: "b1", body: "beep" }, { authorization: `Bot ${bot.token}` });
    expect(sent.status).toBe(200);
    const listed = (await api("GET", "/v1/admin/bots", bot.op.token)).body.bots;
    expect(listed.some((b: { user_id: string }) => b.user_id === bot.id)).toBe(true);
  });

  it("refuses bad, rotated and revoked tokens, sockets, and access tokens that claim a bot's id", async () => {
    const bot = await makeBot();
    for (const header of [`Bot ${bot.token}x`, `Bot pbt_${bot.id}.${"A".repeat(32)}`, "Bot pbt_garbage", "Bot ", `Bot ${"x".repeat(5000)}`]) {
      const res = await api("GET", "/v1/me", undefined, undefined, { authorization: header });
      expect(res.status, header.slice(0, 40)).toBe(401);
    }
    const upgrade = await SELF.fetch(`https://parley.test/v1/inbox/ws`, { headers: { upgrade: "websocket", authorization: `Bot ${bot.token}` } });
    expect(upgrade.status).toBe(403);
    const forged = await mintAccessToken(SECRET, { userId: bot.id, username: bot.username, sessionId: "x" });
    expect((await api("GET", "/v1/me", forged.token)).status).toBe(401);
    // A bot is never an operator, whatever its name.
    expect((await api("GET", "/v1/admin/metrics", undefined, undefined, { authorization: `Bot ${bot.token}` })).status).toBe(404);

    const rotated = await api("POST", `/v1/admin/bots/${bot.id}/token`, bot.op.token);
    expect(rotated.status).toBe(201);
    expect((await api("GET", "/v1/me", undefined, undefined, { authorization: `Bot ${bot.token}` })).status).toBe(401);
    expect((await api("GET", "/v1/me", undefined, undefined, { authorization: `Bot ${rotated.body.token}` })).status).toBe(200);
    expect((await api("DELETE", `/v1/admin/bots/${bot.id}/token`, bot.op.token)).status).toBe(200);
    expect((await api("GET", "/v1/me", undefined, undefined, { authorization: `Bot ${rotated.body.token}` })).status).toBe(401);

    // A taken username, a bad webhook URL.
    const again = await api("POST", "/v1/admin/bots", bot.op.token, { username: bot.username });
    expect(again.status).toBe(409);
    const plainHttp = await api("POST", "/v1/admin/bots", bot.op.token, { username: uniqueName("bot"), webhook_url: "http://hooks.example.com/" });
    expect(plainHttp.status).toBe(400);
  });
});

describe("push subscriptions", () => {
  it("are refused for hosts off PUSH_ENDPOINTS and for malformed keys; the key route is 404 without VAPID keys", async () => {
    const me = await login();
    expect((await api("GET", "/v1/push/vapid-key", me.token)).status).toBe(404);
    const pair = (await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"])) as CryptoKeyPair;
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
    const keys = { p256dh: btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), auth: "A".repeat(22) };
    const cases: Array<[unknown, number]> = [
      [{ endpoint: "https://evil.example/push", keys }, 400],
      [{ endpoint: "http://127.0.0.1:9/push", keys }, 400],
      [{ endpoint: "https://fcm.googleapis.com/fcm/send/abc", keys: { ...keys, p256dh: "short" } }, 400],
      [{ endpoint: "https://fcm.googleapis.com/fcm/send/abc", keys: { ...keys, p256dh: `B${"A".repeat(86)}` } }, 400],
      [{ endpoint: "https://fcm.googleapis.com/fcm/send/abc", keys: { ...keys, auth: "!!!" } }, 400],
      [{ endpoint: "https://fcm.googleapis.com/fcm/send/abc" }, 400],
      [{ endpoint: `https://fcm.googleapis.com/${"x".repeat(3000)}`, keys }, 400],
      [{ endpoint: "https://fcm.googleapis.com/fcm/send/abc", keys }, 201],
    ];
    for (const [body, status] of cases) expect((await api("POST", "/v1/me/push-subscriptions", me.token, body)).status, JSON.stringify(body).slice(0, 80)).toBe(status);
    const removed = await api("DELETE", `/v1/me/push-subscriptions?endpoint=${encodeURIComponent("https://fcm.googleapis.com/fcm/send/abc")}`, me.token);
    expect(removed.body).toEqual({ removed: true });
    expect((await api("DELETE", "/v1/me/push-subscriptions", me.token)).status).toBe(400);
  });
});
