import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newRefreshToken, parseRefreshToken } from "../../src/auth/sessions.ts";
import { ENDED_SESSION_MEMORY_MS } from "../../src/shared/sockets.ts";
import { STANDING_TTL_MS } from "../../worker/standing.ts";

const SECRET = "test-secret-for-workerd-tests-only";
import { CloseCode, ErrorBody, LoginResponse } from "../../src/protocol/index.ts";
import { api, createDirect, forwardedUpgrade, inbox, joined, listed, openSocket, uniqueName, unlisted } from "./helpers.ts";

/** A dev login with everything it answers, the refresh token included. */
async function devLogin(username = uniqueName("sess")): Promise<LoginResponse & { refresh_token: string }> {
  const res = await api("POST", "/v1/auth/dev-login", undefined, { username });
  expect(res.status).toBe(200);
  const body = LoginResponse.parse(res.body);
  expect(body.refresh_token).toBeTypeOf("string");
  return body as LoginResponse & { refresh_token: string };
}

function refresh(token: string) {
  return api("POST", "/v1/auth/refresh", undefined, { refresh_token: token });
}

/** The claims of an access token (no verification: the server already did that). */
function claims(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload)) as Record<string, unknown>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("refresh tokens", () => {
  it("dev-login opens a session: the access token's sid is the refresh token's family", async () => {
    const login = await devLogin();
    const parts = parseRefreshToken(login.refresh_token);
    expect(parts).toMatchObject({ userId: login.user.id });
    expect(claims(login.access_token)).toMatchObject({ sub: login.user.id, name: login.user.username, sid: parts!.familyId, iss: "parley" });
  });

  it("rotate on every use: each refresh answers the login shape with a new token, and the session stays the same", async () => {
    const login = await devLogin();
    const first = await refresh(login.refresh_token);
    expect(first.status).toBe(200);
    const r1 = LoginResponse.parse(first.body);
    expect(r1.user).toEqual(login.user);
    expect(r1.refresh_token).not.toBe(login.refresh_token);
    expect(r1.expires_at).toBeGreaterThan(Date.now());
    expect(claims(r1.access_token).sid).toBe(claims(login.access_token).sid);
    expect((await api("GET", "/v1/me", r1.access_token)).status).toBe(200);
    const second = await refresh(r1.refresh_token!);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(r1.refresh_token);
  });

  it("the old token fails after a rotation, and presenting it revokes the family: the newest token stops working too", async () => {
    const login = await devLogin();
    const other = await refresh((await devLogin(login.user.username)).refresh_token); // another device of the same user
    expect(other.status).toBe(200);
    const r1 = (await refresh(login.refresh_token)).body.refresh_token as string;
    const r2 = (await refresh(r1)).body.refresh_token as string;
    const reused = await refresh(login.refresh_token);
    expect(reused.status).toBe(401);
    expect(ErrorBody.parse(reused.body)).toMatchObject({ code: "unauthorized", retryable: false });
    expect(reused.body.message).toMatch(/already used/);
    const newest = await refresh(r2);
    expect(newest.status).toBe(401);
    expect(ErrorBody.parse(newest.body).code).toBe("unauthorized");
    // The other device's session is untouched.
    expect((await refresh(other.body.refresh_token)).status).toBe(200);
  });

  it("two concurrent refreshes of one token: exactly one succeeds, the other is a reuse, and the family ends revoked", async () => {
    // The rule: the User actor orders the two; the second sees a used token,
    // which is what a thief racing the owner looks like, so the family is
    // revoked and the winner's new token stops working too. Clients must
    // refresh single-flight (docs/auth.md).
    for (let round = 0; round < 3; round++) {
      const login = await devLogin();
      const results = await Promise.all([refresh(login.refresh_token), refresh(login.refresh_token)]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 401]);
      const winner = results.find((r) => r.status === 200)!;
      expect((await refresh(winner.body.refresh_token)).status).toBe(401);
    }
  });

  it("unknown, forged and garbage tokens are unauthorized and revoke nothing", async () => {
    const login = await devLogin();
    const parts = parseRefreshToken(login.refresh_token)!;
    const [, , random, mac] = login.refresh_token.split(".");
    // Right user and session, made-up random part and MAC: refused before reaching the actor.
    const forged = `rt_${parts.userId}.${parts.familyId}.${"A".repeat(32)}.${"B".repeat(43)}`;
    // Well signed, but never issued (signed with the deployment secret by someone who has it, e.g. a bug).
    const neverIssued = await newRefreshToken(SECRET, parts.userId, parts.familyId);
    const unknownUser = `rt_u_nobody${Date.now()}.${parts.familyId}.${random}.${mac}`;
    for (const token of ["garbage", forged, neverIssued, unknownUser, login.refresh_token.slice(0, -1), `${login.refresh_token}x`, "x".repeat(512)]) {
      const res = await refresh(token);
      expect(res.status, token.slice(0, 40)).toBe(401);
      expect(ErrorBody.parse(res.body).code).toBe("unauthorized");
    }
    // The real token still works: nothing above revoked its family.
    expect((await refresh(login.refresh_token)).status).toBe(200);
  });

  it("refuses a malformed body with bad_request naming the field", async () => {
    for (const [body, field] of [[{}, /^refresh_token/], [{ refresh_token: 5 }, /^refresh_token/], [{ refresh_token: "" }, /^refresh_token/], ["{oops", /JSON/]] as const) {
      const res = await api("POST", "/v1/auth/refresh", undefined, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(ErrorBody.parse(res.body).code).toBe("bad_request");
      expect(res.body.message).toMatch(field);
    }
  });
});

describe("logout", () => {
  it("with the access token ends its session; that access token is refused from then on, the user's others are not", async () => {
    const login = await devLogin();
    const other = await devLogin(login.user.username);
    expect((await api("GET", "/v1/me", login.access_token)).status).toBe(200);
    const out = await api("POST", "/v1/auth/logout", login.access_token);
    expect(out.status).toBe(204);
    expect((await refresh(login.refresh_token)).status).toBe(401);
    // Its access token has not expired, but its session has ended (§22.19).
    const after = await api("GET", "/v1/me", login.access_token);
    expect(after.status).toBe(401);
    expect(ErrorBody.parse(after.body)).toMatchObject({ code: "unauthorized" });
    expect((await api("GET", "/v1/me", other.access_token)).status).toBe(200);
    // Idempotent.
    expect((await api("POST", "/v1/auth/logout", login.access_token)).status).toBe(204);
  });

  it("with the refresh token in the body ends that session only", async () => {
    const a = await devLogin();
    const b = await devLogin(a.user.username);
    const out = await api("POST", "/v1/auth/logout", undefined, { refresh_token: a.refresh_token });
    expect(out.status).toBe(204);
    expect((await refresh(a.refresh_token)).status).toBe(401);
    expect((await refresh(b.refresh_token)).status).toBe(200);
  });

  it("refuses without credentials, with garbage, or with a bad body", async () => {
    const cases: Array<[string | undefined, unknown, number, string]> = [
      [undefined, undefined, 401, "unauthorized"],
      ["garbage", undefined, 401, "unauthorized"],
      [undefined, { refresh_token: "garbage" }, 401, "unauthorized"],
      [undefined, { refresh_token: `rt_u_nobody.f_${"a".repeat(20)}.${"b".repeat(32)}.${"c".repeat(43)}` }, 401, "unauthorized"],
      [undefined, { refresh_token: 42 }, 400, "bad_request"],
      [undefined, "{not json", 400, "bad_request"],
    ];
    for (const [token, body, status, code] of cases) {
      const res = await api("POST", "/v1/auth/logout", token, body);
      expect(res.status, JSON.stringify([token, body])).toBe(status);
      expect(ErrorBody.parse(res.body).code).toBe(code);
    }
  });
});

describe("the session cap (MAX_SESSIONS = 10)", () => {
  it("a new login past the cap revokes the least recently used session", async () => {
    const username = uniqueName("cap");
    const logins: Array<{ refresh_token: string }> = [];
    for (let i = 0; i < 10; i++) {
      logins.push(await devLogin(username));
      await pause(3); // distinct last-use times
    }
    // Using the oldest session makes the second-oldest the least recently used.
    const used = await refresh(logins[0]!.refresh_token);
    expect(used.status).toBe(200);
    logins[0] = { refresh_token: used.body.refresh_token };
    await pause(3);
    const eleventh = await devLogin(username);
    expect((await refresh(logins[1]!.refresh_token)).status).toBe(401);
    for (const i of [0, 2, 9]) expect((await refresh(logins[i]!.refresh_token)).status, `session ${i}`).toBe(200);
    expect((await refresh(eleventh.refresh_token)).status).toBe(200);
  });
});

describe("a session that ends takes its sockets and its access tokens with it (§22.19)", () => {
  const asSession = (l: LoginResponse) => ({ token: l.access_token, userId: l.user.id, username: l.user.username });
  /** A user signed in on two devices (`here` stays, `there` is signed out) and a friend, with a direct conversation the user's inbox lists. */
  async function twoDevicesAndAFriend() {
    const here = await devLogin(uniqueName("dev"));
    const there = await devLogin(here.user.username);
    const friend = await devLogin();
    const id = await createDirect(asSession(here), asSession(friend));
    await listed(here.access_token, id);
    return { here, there, friend, id };
  }

  it("signing the other devices out closes their conversation and inbox sockets with 4101 and refuses their tokens; this device's stay", async () => {
    const { here, there, friend, id } = await twoDevicesAndAFriend();
    const mine = await joined(asSession(here), id);
    const theirs = await joined(asSession(there), id);
    const theirInbox = await inbox(asSession(there));
    const friends = await joined(asSession(friend), id);

    const out = await api("POST", "/v1/me/sessions/revoke-others", here.access_token);
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ revoked: 1 });

    for (const client of [theirs.client, theirInbox.client]) {
      expect((await client.closed).code).toBe(CloseCode.TOKEN_EXPIRED);
      expect(client.frames.find((f) => f.type === "connection.closing")?.data).toEqual({ reason: "token_expired", retry: true });
    }
    expect(theirs.client.violations).toEqual([]);
    // Its access token is refused at once, for REST and for a new socket; a refresh too.
    expect((await api("GET", "/v1/me", there.access_token)).status).toBe(401);
    expect((await openSocket(there.access_token, id)).status).toBe(401);
    expect((await refresh(there.refresh_token)).status).toBe(401);
    // This device, and the other member, go on.
    const ack = await mine.client.request("message.send", { client_msg_id: "after", body: "still here" });
    expect(ack.type).toBe("message.ack");
    await friends.client.next((f) => f.type === "message.new" && f.data.message.body === "still here");
    expect((await api("GET", "/v1/me", here.access_token)).status).toBe(200);
    for (const c of [mine.client, friends.client]) c.close();
  });

  it("signing out one device closes only that session's sockets; a token refreshed in place on a socket moves the socket to its session", async () => {
    const a = await devLogin(uniqueName("dev"));
    const b = await devLogin(a.user.username);
    const friend = await devLogin();
    const id = await createDirect(asSession(a), asSession(friend));
    // A socket opened with a's token, then handed b's token in place, belongs to b's session now.
    const moved = await joined(asSession(a), id);
    const refreshed = await moved.client.request("auth.refresh", { access_token: b.access_token });
    expect(refreshed.type).toBe("auth.refreshed");
    const stays = await joined(asSession(a), id);
    await listed(a.access_token, id);

    expect((await api("DELETE", `/v1/me/sessions/${String(claims(b.access_token).sid)}`, a.access_token)).status).toBe(204);
    expect((await moved.client.closed).code).toBe(CloseCode.TOKEN_EXPIRED);
    expect((await stays.client.request("ping", {})).type).toBe("pong");
    expect((await api("GET", "/v1/me", b.access_token)).status).toBe(401);
    expect((await api("GET", "/v1/me", a.access_token)).status).toBe(200);
    stays.client.close();
  });

  it("a refresh token used twice revokes its family and closes the sockets opened with its access tokens", async () => {
    const login = await devLogin();
    const friend = await devLogin();
    const id = await createDirect(asSession(login), asSession(friend));
    const rotated = await refresh(login.refresh_token);
    expect(rotated.status).toBe(200);
    const socket = await joined({ ...asSession(login), token: rotated.body.access_token }, id);
    await listed(rotated.body.access_token, id);
    // The first token again: a reuse, as when a thief and the owner both hold it.
    expect((await refresh(login.refresh_token)).status).toBe(401);
    expect((await socket.client.closed).code).toBe(CloseCode.TOKEN_EXPIRED);
    expect((await api("GET", "/v1/me", rotated.body.access_token)).status).toBe(401);
  });

  it("an actor remembers an ended session longer than a Worker isolate may keep the user's standing", () => {
    expect(ENDED_SESSION_MEMORY_MS).toBeGreaterThanOrEqual(2 * STANDING_TTL_MS);
  });

  it("the actors refuse an upgrade of the ended session themselves, as one forwarded by a Worker isolate that has not heard yet would be", async () => {
    const { here, there, friend, id } = await twoDevicesAndAFriend();
    expect((await api("POST", "/v1/me/sessions/revoke-others", here.access_token)).body).toEqual({ revoked: 1 });

    const actors = [env.CONVERSATION.get(env.CONVERSATION.idFromName(id)), env.USER.get(env.USER.idFromName(here.user.id))];
    for (const stub of actors) {
      const refused = await forwardedUpgrade(stub, asSession(there));
      expect(refused.status).toBe(401);
      expect(ErrorBody.parse(await refused.json())).toMatchObject({ code: "unauthorized", message: "This session was signed out; sign in again." });
      // The session that stays is let in.
      const accepted = await forwardedUpgrade(stub, asSession(here));
      expect(accepted.status).toBe(101);
      accepted.webSocket!.accept();
      accepted.webSocket!.close(1000);
    }
  });

  it("a socket in a conversation that reached the inbox only after the session ended is closed when it gets there", async () => {
    const { here, there, friend, id } = await twoDevicesAndAFriend();
    const theirs = await joined(asSession(there), id);
    const friends = await joined(asSession(friend), id);
    // As when the session ends in the moments between a join and the conversation's first inbox update.
    await unlisted(here.user.id, id);

    expect((await api("POST", "/v1/me/sessions/revoke-others", here.access_token)).body).toEqual({ revoked: 1 });
    // The end's own fan-out did not reach the conversation: the socket is still served.
    expect((await theirs.client.request("ping", {})).type).toBe("pong");

    // A message makes the conversation send its next inbox update, and the inbox meets the conversation again.
    await friends.client.request("message.send", { client_msg_id: "wake", body: "anyone?" });
    expect((await theirs.client.closed).code).toBe(CloseCode.TOKEN_EXPIRED);
    expect(theirs.client.frames.find((f) => f.type === "connection.closing")?.data).toEqual({ reason: "token_expired", retry: true });
    await listed(here.access_token, id);
    friends.client.close();
  });
});
