import { describe, expect, it } from "vitest";
import { mintAccessToken } from "../../src/auth/tokens.ts";
import { ErrorBody } from "../../src/protocol/index.ts";
import { createDirect, createGroup, login, openSocket } from "./helpers.ts";

const SECRET = "test-secret-for-workerd-tests-only";

describe("the Worker refuses before the upgrade", () => {
  it("426 when the request is not a WebSocket upgrade", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const { SELF } = await import("cloudflare:test");
    const res = await SELF.fetch(`https://parley.test/v1/conversations/${id}/ws`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(res.status).toBe(426);
    expect(ErrorBody.parse(await res.json()).code).toBe("bad_request");
  });

  it("401 without a token, with a malformed, forged or expired one", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const forged = await mintAccessToken("another-secret-of-sufficient-length", { userId: a.userId, username: a.username, sessionId: "s" });
    const expired = await mintAccessToken(SECRET, { userId: a.userId, username: a.username, sessionId: "s" }, Date.now() - 3_600_000);
    const [header, payload] = a.token.split(".");
    const noneAlg = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${payload}.`;
    for (const token of [undefined, "garbage", forged.token, expired.token, noneAlg, `${header}.${payload}.AAAA`]) {
      const res = await openSocket(token, id);
      expect(res.status, String(token).slice(0, 30)).toBe(401);
      expect(ErrorBody.parse(res.body).code).toBe("unauthorized");
      expect(res.client).toBeUndefined();
    }
    const expiredRes = await openSocket(expired.token, id);
    expect(expiredRes.body.message).toMatch(/expired/);
  });

  it("401 for a token whose name claim is not a valid username (tokens minted elsewhere register their user)", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    for (const name of ["has space", "admin", "x"]) {
      const odd = await mintAccessToken(SECRET, { userId: a.userId, username: name, sessionId: "s" });
      expect((await openSocket(odd.token, id)).status, name).toBe(401);
    }
  });

  it("the token may come in the access_token query parameter (browsers)", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const res = await openSocket(a.token, id, { query: true });
    expect(res.status).toBe(101);
    res.client!.close();
  });

  it("404 for a non-member, who never gets a socket: the same answer as an unknown conversation", async () => {
    const a = await login();
    const b = await login();
    const stranger = await login();
    const id = await createDirect(a, b);
    const unknown = await openSocket(stranger.token, "c_dnoSuchConversation0000");
    expect(unknown.status).toBe(404);
    const res = await openSocket(stranger.token, id);
    expect(res.client).toBeUndefined();
    expect(res.status).toBe(404);
    expect(ErrorBody.parse(res.body).code).toBe("not_found");
    // Word for word: nothing tells a stranger that the pair has a conversation.
    expect(res.body).toEqual(unknown.body);
    expect(res.headers.get("content-type")).toBe(unknown.headers.get("content-type"));
    const group = await createGroup(a, [b]);
    const groupRes = await openSocket(stranger.token, group);
    expect(groupRes.status).toBe(404);
    expect(groupRes.body).toEqual(unknown.body);
  });

  it("404 for an unknown conversation or a malformed id", async () => {
    const a = await login();
    for (const id of ["c_doesnotexist", "not-an-id", "c_" + "x".repeat(80)]) {
      const res = await openSocket(a.token, id);
      expect(res.status, id).toBe(404);
      expect(ErrorBody.parse(res.body).code).toBe("not_found");
    }
  });

  it("403 for a browser Origin not on the allow-list", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const evil = await openSocket(a.token, id, { headers: { origin: "https://evil.example" } });
    expect(evil.status).toBe(403);
    const good = await openSocket(a.token, id, { headers: { origin: "https://app.example" } });
    expect(good.status).toBe(101);
    good.client!.close();
  });

  it("identity headers sent by a client are ignored: the token decides who connects", async () => {
    const a = await login();
    const b = await login();
    const stranger = await login();
    const id = await createDirect(a, b);
    const res = await openSocket(stranger.token, id, { headers: { "x-parley-user-id": a.userId, "x-parley-username": a.username } });
    expect(res.status).toBe(404);
    expect(res.client).toBeUndefined();
  });
});
