/**
 * Presence, fully (docs/protocol.md §22.12): `away` and `busy` over the
 * inbox socket and REST, `offline` only after PRESENCE_OFFLINE_DELAY_MS
 * without an inbox socket (2 s in the workerd tests; decision 0029), last
 * seen in user views, member pages and the inbox snapshot, and blocks still
 * holding in all of them. Privacy settings are in presence-privacy.test.ts.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { ConversationList, InboxServerFrame, MemberPage, SearchResponse, UserResponse } from "../../src/protocol/index.ts";
import { Client, api, createDirect, inbox, joined, login, type Session } from "./helpers.ts";

/** PRESENCE_OFFLINE_DELAY_MS of the workerd tests (vitest.config.mts). */
const OFFLINE_DELAY_MS = Number(env.PRESENCE_OFFLINE_DELAY_MS);

const open: Client[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

async function inboxOf(s: Session): Promise<{ client: Client; snapshot: any }> {
  const got = await inbox(s);
  open.push(got.client);
  return got;
}

/** Waits until `s`'s inbox index lists `id` with its members (the conversation's sweep delivers it shortly after the change). */
async function listedUntil(s: Session, id: string): Promise<void> {
  const deadline = Date.now() + 8000;
  for (;;) {
    const list = ConversationList.parse((await api("GET", "/v1/conversations", s.token)).body).conversations;
    if (list.some((c) => c.id === id)) return;
    if (Date.now() > deadline) throw new Error(`${id} never reached ${s.username}'s inbox`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Two users who share a direct conversation, known to both inboxes: contacts. */
async function contacts(): Promise<{ a: Session; b: Session; id: string }> {
  const [a, b] = [await login(), await login()];
  const id = await createDirect(a, b);
  await Promise.all([listedUntil(a, id), listedUntil(b, id)]);
  return { a, b, id };
}

function presenceOf(client: Client, userId: string): Array<{ status: string; last_seen_at?: number }> {
  return client.all("presence").filter((p) => p.user_id === userId);
}

function expectInboxFrames(client: Client): void {
  for (const f of client.frames) {
    if (f.type === "<pong-text>") continue;
    const check = InboxServerFrame.safeParse(f);
    expect(check.success, `${JSON.stringify(f)}: ${check.success ? "" : check.error.message}`).toBe(true);
  }
}

describe("states", () => {
  it("away and busy are chosen over the socket or REST; contacts hear them; REST without an inbox socket is 409", async () => {
    const { a, b } = await contacts();
    const { client: cb } = await inboxOf(b);
    // A has no inbox socket: offline, nothing to choose.
    const offline = await api("PUT", "/v1/me/presence", a.token, { status: "busy" });
    expect(offline.status).toBe(409);
    expect(offline.body.code).toBe("conflict");
    const { client: ca } = await inboxOf(a);
    expect((await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data.status).toBe("online");

    const rest = await api("PUT", "/v1/me/presence", a.token, { status: "busy" });
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual({ status: "busy" });
    // Every inbox socket of A hears its own status (no rid: REST asked), and B hears it.
    expect((await ca.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, status: "busy" });
    expect((await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, status: "busy" });
    await ca.request("presence.set", { status: "away" });
    expect((await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data).toEqual({ user_id: a.userId, status: "away" });
    // Bad input.
    for (const body of [{ status: "offline" }, { status: "sleeping" }, {}, { status: "away", extra: 1 }]) {
      const res = await api("PUT", "/v1/me/presence", a.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe("bad_request");
    }
    expect((await api("PUT", "/v1/me/presence", undefined, { status: "away" })).status).toBe(401);
    expectInboxFrames(cb);
  });

  it("REST spends the presence.set budget of the socket (PRESENCE_SET_RATE): past it 429 with Retry-After", async () => {
    const a = await login();
    await inboxOf(a);
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await api("PUT", "/v1/me/presence", a.token, { status: i % 2 === 0 ? "away" : "busy" }));
    expect(answers.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(answers[10]!.status).toBe(429);
    expect(answers[10]!.body).toMatchObject({ code: "rate_limited", retryable: true });
    expect(Number(answers[10]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});

describe("going offline", () => {
  it("a socket closed and another opened within the delay: contacts see nothing at all, and the chosen status holds", async () => {
    const { a, b } = await contacts();
    const { client: cb } = await inboxOf(b);
    const first = await inboxOf(a);
    await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");
    await first.client.request("presence.set", { status: "busy" });
    await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "busy");
    // A page reload: the socket closes, a new one opens within the delay —
    // but after the 1 s window that coalesces contacts' reports, so only the
    // delay can keep the offline from them.
    first.client.close();
    await first.client.closed;
    await new Promise((r) => setTimeout(r, 1100));
    const again = await inboxOf(a);
    // The new socket is told the status A chose: A never left.
    expect((await again.client.next((f) => f.type === "presence" && f.data.user_id === a.userId)).data.status).toBe("busy");
    // Longer than the delay and the coalescing window: B heard nothing of it.
    await new Promise((r) => setTimeout(r, OFFLINE_DELAY_MS + 1500));
    expect(presenceOf(cb, a.userId).map((p) => p.status)).toEqual(["online", "busy"]);
    expect((await api("GET", `/v1/users/${a.username}`, b.token)).body.user).toMatchObject({ presence: "busy" });
  });

  it("past the delay without a socket, contacts hear exactly one offline, last seen when the socket closed", async () => {
    const { a, b } = await contacts();
    const { client: cb } = await inboxOf(b);
    const { client: ca } = await inboxOf(a);
    await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");
    const closedAt = Date.now();
    ca.close();
    await ca.closed;
    const seen = await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId, OFFLINE_DELAY_MS + 8000);
    const heardAt = Date.now();
    expect(seen.data.status).toBe("offline");
    // Seen last when the socket closed, not when the delay ended.
    expect(seen.data.last_seen_at).toBeGreaterThanOrEqual(closedAt - 1000);
    expect(seen.data.last_seen_at).toBeLessThanOrEqual(closedAt + 1000);
    expect(heardAt - closedAt).toBeGreaterThanOrEqual(OFFLINE_DELAY_MS - 500);
    await cb.quiet(1500);
    expect(presenceOf(cb, a.userId).map((p) => p.status)).toEqual(["online", "offline"]);
    // A user view says the same.
    const view = UserResponse.parse((await api("GET", `/v1/users/${a.username}`, b.token)).body).user;
    expect(view).toMatchObject({ presence: "offline", last_seen_at: seen.data.last_seen_at });
    // Coming back is one online.
    await inboxOf(a);
    await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");
  });
});

describe("last seen", () => {
  it("the inbox snapshot replays every contact's presence, offline ones with last_seen_at, after a reconnect", async () => {
    const { a, b } = await contacts();
    const { client: cb } = await inboxOf(b);
    const ca = await inboxOf(a);
    await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");
    ca.client.close();
    const offline = await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId, OFFLINE_DELAY_MS + 8000);
    // B reconnects: the snapshot carries A's last seen; a v1 client's presence frames carry only who is online.
    cb.close();
    const { client: again, snapshot } = await inboxOf(b);
    expect(snapshot.presence).toEqual([{ user_id: a.userId, status: "offline", last_seen_at: offline.data.last_seen_at }]);
    await again.quiet(300);
    expect(presenceOf(again, a.userId)).toEqual([]);
    // And A back online is listed as online in B's next snapshot.
    await inboxOf(a);
    await again.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");
    const third = await inboxOf(b);
    expect(third.snapshot.presence).toEqual([{ user_id: a.userId, status: "online" }]);
    expectInboxFrames(third.client);
  });

  it("user views show presence to contacts only: GET /v1/users/{username} and search", async () => {
    const { a, b } = await contacts();
    const stranger = await login();
    await inboxOf(a);
    await inboxOf(b);
    const byContact = UserResponse.parse((await api("GET", `/v1/users/${a.username}`, b.token)).body).user;
    expect(byContact).toEqual({ id: a.userId, username: a.username, presence: "online" });
    const byStranger = UserResponse.parse((await api("GET", `/v1/users/${a.username}`, stranger.token)).body).user;
    expect(byStranger).toEqual({ id: a.userId, username: a.username });
    // Oneself: no presence in the view (one's own status is on the inbox socket).
    expect((await api("GET", `/v1/users/${a.username}`, a.token)).body.user).toEqual({ id: a.userId, username: a.username });
    const search = SearchResponse.parse((await api("GET", `/v1/users/search?q=${a.username}`, b.token)).body);
    expect(search.users[0]).toEqual({ id: a.userId, username: a.username, presence: "online" });
    const strangerSearch = SearchResponse.parse((await api("GET", `/v1/users/search?q=${a.username}`, stranger.token)).body);
    expect(strangerSearch.users[0]).toEqual({ id: a.userId, username: a.username });
  });

  it("member pages give last_seen_at of members not online: when their last socket on the conversation closed", async () => {
    const { a, b, id } = await contacts();
    const { client } = await joined(a, id);
    open.push(client);
    const other = await joined(b, id);
    other.client.close();
    await client.next((f) => f.type === "presence" && f.data.user_id === b.userId && f.data.status === "offline");
    const page = MemberPage.parse((await api("GET", `/v1/conversations/${id}/members`, a.token)).body);
    const entryB = page.members.find((m) => m.user_id === b.userId)!;
    const entryA = page.members.find((m) => m.user_id === a.userId)!;
    expect(entryB.online).toBe(false);
    expect(entryB.last_seen_at).toBe(client.all("presence").find((p) => p.user_id === b.userId && p.status === "offline")!.last_seen_at);
    expect(entryA).toMatchObject({ online: true });
    expect(entryA.last_seen_at).toBeUndefined();
  });
});

describe("blocks still hold", () => {
  it("a blocked contact sees no presence in user views or the snapshot, either way", async () => {
    const { a, b } = await contacts();
    await inboxOf(a);
    const { client: cb } = await inboxOf(b);
    await cb.next((f) => f.type === "presence" && f.data.user_id === a.userId && f.data.status === "online");
    expect((await api("POST", `/v1/blocks/${b.username}`, a.token)).status).toBe(200);
    for (const [viewer, viewed] of [[b, a], [a, b]] as const) {
      expect((await api("GET", `/v1/users/${viewed.username}`, viewer.token)).body.user).toEqual({ id: viewed.userId, username: viewed.username });
      const found = SearchResponse.parse((await api("GET", `/v1/users/search?q=${viewed.username}`, viewer.token)).body).users[0];
      expect(found?.presence).toBeUndefined();
    }
    const { snapshot } = await inboxOf(b);
    expect(snapshot.presence).toEqual([]);
  });
});
