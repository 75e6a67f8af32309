/**
 * A token's `name` claim never replaces the registered username: the
 * Directory's spelling is the one shown, and a token whose name belongs to
 * nobody, or to someone else, is refused (docs/auth.md §1).
 */
import { describe, expect, it } from "vitest";
import { mintAccessToken } from "../../src/auth/tokens.ts";
import { ErrorBody } from "../../src/protocol/index.ts";
import { api, login, openInbox, uniqueName, type Session } from "./helpers.ts";

const SECRET = "test-secret-for-workerd-tests-only";

/** A token for `user`'s id claiming `name`, as another backend holding the secret could mint. */
async function tokenClaiming(user: Session, name: string): Promise<string> {
  return (await mintAccessToken(SECRET, { userId: user.userId, username: name, sessionId: "their-session" })).token;
}

function expectConflict(res: { status: number; body?: any }, label: string): void {
  expect(res.status, label).toBe(409);
  expect(ErrorBody.parse(res.body).code, label).toBe("conflict");
}

describe("a token's name claim", () => {
  it("that is not the registered username is refused at GET and PATCH /v1/me and at the inbox upgrade", async () => {
    const alice = await login(uniqueName("Alice"));
    const viewer = await login();
    const lying = await tokenClaiming(alice, uniqueName("Mallory"));
    expectConflict(await api("GET", "/v1/me", lying), "GET /v1/me");
    expectConflict(await api("PATCH", "/v1/me", lying, { display_name: "Not Alice" }), "PATCH /v1/me");
    const socket = await openInbox(lying);
    expectConflict(socket, "inbox upgrade");
    // Nothing changed: the registered name and profile are what others see.
    const seen = await api("GET", `/v1/users/${alice.username}`, viewer.token);
    expect(seen.body.user).toEqual({ id: alice.userId, username: alice.username });
  });

  it("that differs only in case is the same user, shown with the registered spelling", async () => {
    const alice = await login(uniqueName("Alice"));
    const shouting = await tokenClaiming(alice, alice.username.toUpperCase());
    const me = await api("GET", "/v1/me", shouting);
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe(alice.username);
    const socket = await openInbox(shouting);
    expect(socket.status).toBe(101);
    socket.client!.close();
  });

  it("never names the creator of a conversation: the Directory's username does, and a false claim is refused", async () => {
    const alice = await login(uniqueName("Alice"));
    const bob = await login(uniqueName("Bob"));
    const lying = await tokenClaiming(alice, uniqueName("Mallory"));
    expectConflict(await api("POST", "/v1/conversations", lying, { kind: "direct", with: bob.username }), "direct");
    expectConflict(await api("POST", "/v1/conversations", lying, { kind: "group", title: "t", members: [bob.username] }), "group");
    // Someone else's username is refused too, for a user never registered.
    const stranger = { token: "", userId: `u_${uniqueName("ext")}`, username: "" };
    expectConflict(await api("POST", "/v1/conversations", await tokenClaiming(stranger, bob.username), { kind: "group", title: "t", members: [] }), "impostor");
    // A case variant creates, listing the creator as registered.
    const created = await api("POST", "/v1/conversations", await tokenClaiming(alice, alice.username.toLowerCase()), { kind: "group", title: "t", members: [bob.username] });
    expect(created.status).toBe(201);
    const seen = await api("GET", `/v1/conversations/${created.body.conversation.id}`, bob.token);
    expect(seen.body.conversation.members).toContainEqual({ user_id: alice.userId, username: alice.username, role: "owner" });
  });
});
