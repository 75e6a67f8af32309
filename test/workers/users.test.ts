import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mintAccessToken } from "../../src/auth/tokens.ts";
import { ErrorBody, MeResponse, SearchResponse, UserResponse } from "../../src/protocol/index.ts";
import { randomId } from "../../src/shared/ids.ts";
import { api, login, uniqueName } from "./helpers.ts";

const SECRET = "test-secret-for-workerd-tests-only";
/** The privacy settings (since v1.1), all on by default. */
const SHARING = { share_presence: true, share_read_receipts: true, share_typing: true };

/** A token minted by "another backend" with the shared secret, for a user Parley has never seen. */
async function externalToken(username: string, userId = randomId("u_ext", 16)) {
  const { token } = await mintAccessToken(SECRET, { userId, username, sessionId: "their-session" });
  return { token, userId, username };
}

/** Every user of every page of a search, following next_cursor. */
async function searchAll(token: string, q: string, limit: number): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const query = new URLSearchParams({ q, limit: String(limit), ...(cursor ? { cursor } : {}) });
    const res = await api("GET", `/v1/users/search?${query}`, token);
    expect(res.status).toBe(200);
    const body = SearchResponse.parse(res.body);
    expect(body.users.length).toBeLessThanOrEqual(limit);
    names.push(...body.users.map((u) => u.username));
    if (!body.next_cursor) return names;
    cursor = body.next_cursor;
  }
  throw new Error("search did not end");
}

/** A prefix no other test's usernames start with (letters only, so it sorts before "_" suffixes predictably). */
function uniquePrefix(): string {
  return `q${randomId("", 10).toLowerCase().replace(/[^a-z]/g, "x")}`;
}

describe("GET /v1/me", () => {
  it("answers the profile and the default settings", async () => {
    const a = await login();
    const res = await api("GET", "/v1/me", a.token);
    expect(res.status).toBe(200);
    expect(MeResponse.parse(res.body)).toEqual({ user: { id: a.userId, username: a.username }, settings: { notifications: "all", group_adds: "everyone", ...SHARING } });
  });

  it("registers, just in time, a user whose token another backend minted", async () => {
    const ext = await externalToken(uniqueName("Ext"));
    expect((await api("GET", `/v1/users/${ext.username}`, ext.token)).status).toBe(404);
    const me = await api("GET", "/v1/me", ext.token);
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual({ id: ext.userId, username: ext.username });
    // Now others find them, under the token's id, whatever the case they type.
    const viewer = await login();
    const found = await api("GET", `/v1/users/${ext.username.toLowerCase()}`, viewer.token);
    expect(UserResponse.parse(found.body).user).toEqual({ id: ext.userId, username: ext.username });
    // Dev login with that name reaches the same user; so does a conversation.
    const dev = await api("POST", "/v1/auth/dev-login", undefined, { username: ext.username.toUpperCase() });
    expect(dev.body.user.id).toBe(ext.userId);
    const direct = await api("POST", "/v1/conversations", viewer.token, { kind: "direct", with: ext.username });
    expect(direct.status).toBe(201);
    // Repeating is harmless.
    expect((await api("GET", "/v1/me", ext.token)).body.user.id).toBe(ext.userId);
  });

  it("refuses, with conflict, an external user whose username another id holds (in any case)", async () => {
    const owner = await login(uniqueName("Taken"));
    const impostor = await externalToken(owner.username.toUpperCase());
    const res = await api("GET", "/v1/me", impostor.token);
    expect(res.status).toBe(409);
    expect(ErrorBody.parse(res.body).code).toBe("conflict");
    // The username still belongs to its owner.
    expect((await api("GET", `/v1/users/${owner.username}`, owner.token)).body.user.id).toBe(owner.userId);
  });

  it("needs a valid token", async () => {
    for (const token of [undefined, "garbage"]) {
      const res = await api("GET", "/v1/me", token);
      expect(res.status).toBe(401);
      expect(ErrorBody.parse(res.body).code).toBe("unauthorized");
    }
  });
});

describe("usernames", () => {
  it("are unique regardless of case, and keep the case they were created with", async () => {
    const name = uniqueName("MiXeD");
    const first = await login(name);
    const second = await login(name.toLowerCase());
    const third = await login(name.toUpperCase());
    expect(new Set([first.userId, second.userId, third.userId]).size).toBe(1);
    expect(third.username).toBe(name);
    for (const spelling of [name, name.toLowerCase(), name.toUpperCase()]) {
      const res = await api("GET", `/v1/users/${spelling}`, first.token);
      expect(res.body.user).toEqual({ id: first.userId, username: name });
    }
  });
});

describe("GET /v1/users/{username}", () => {
  it("answers 404 not_found for an unknown or malformed username, 401 without a token", async () => {
    const a = await login();
    for (const name of [uniqueName("ghost"), "ab", "has%20space", "x".repeat(33), "bad-dash"]) {
      const res = await api("GET", `/v1/users/${name}`, a.token);
      expect(res.status, name).toBe(404);
      expect(ErrorBody.parse(res.body).code).toBe("not_found");
    }
    expect((await api("GET", `/v1/users/${a.username}`, undefined)).status).toBe(401);
  });
});

describe("search", () => {
  it("ranks the exact username, then username prefixes (shorter, then alphabetical), then display-name words", async () => {
    const p = uniquePrefix();
    const exact = await login(p);
    const names = [`${p}ab`, `${p}_b`, `${p}a`, `${p}aa`, `${p}abc`];
    for (const n of names) await login(n);
    const byName = await login(uniqueName("zz"));
    await api("PATCH", "/v1/me", byName.token, { display_name: `Ada ${p.toUpperCase()}son` });
    const byFullName = await login(uniqueName("zy"));
    await api("PATCH", "/v1/me", byFullName.token, { display_name: `${p}ina Lovelace` });
    // A username match that also matches by display name appears once, at its better rank.
    const both = await login(`${p}zz`);
    await api("PATCH", "/v1/me", both.token, { display_name: `${p} Twice` });

    const expected = [p, `${p}a`, `${p}_b`, `${p}aa`, `${p}ab`, `${p}zz`, `${p}abc`, byName.username, byFullName.username];
    // Display-name matches sort by the normalised name: "ada q…son" < "q…ina lovelace".
    expect(await searchAll(exact.token, p, 50)).toEqual(expected);
    // Paging in any size gives the same sequence, each user once.
    for (const size of [1, 2, 4]) expect(await searchAll(exact.token, p, size), `limit ${size}`).toEqual(expected);
    // Case does not matter.
    expect(await searchAll(exact.token, p.toUpperCase(), 50)).toEqual(expected);
    // A longer prefix narrows it.
    expect(await searchAll(exact.token, `${p}ab`, 50)).toEqual([`${p}ab`, `${p}abc`]);
  });

  it("matches display names by any word, ignoring case and accents, and by the start of the whole name", async () => {
    const tag = uniquePrefix();
    const u = await login();
    const res = await api("PATCH", "/v1/me", u.token, { display_name: `José Ñúñez-${tag}` });
    expect(res.status).toBe(200);
    for (const q of ["jose ñ", tag, tag.toUpperCase(), "NUNEZ", `josé ñúñez-${tag.slice(0, 4)}`]) {
      const found = await searchAll(u.token, q, 50);
      expect(found, q).toContain(u.username);
    }
    expect(await searchAll(u.token, `${tag}x`, 50)).toEqual([]);
  });

  it("refuses bad input with the error object", async () => {
    const a = await login();
    const cases: Array<[string, number, string, RegExp?]> = [
      ["", 400, "bad_request", /^q/],
      ["q=", 400, "bad_request", /^q/],
      ["q=%20%20", 400, "bad_request", /^q/],
      [`q=${"x".repeat(65)}`, 400, "bad_request", /^q/],
      ["q=ab&limit=0", 400, "bad_request", /^limit/],
      ["q=ab&limit=51", 400, "bad_request", /^limit/],
      ["q=ab&limit=two", 400, "bad_request", /^limit/],
      ["q=ab&limit=1.5", 400, "bad_request", /^limit/],
      ["q=ab&cursor=not-a-cursor", 400, "bad_request", /^cursor/],
      ["q=ab&cursor=%21%21", 400, "bad_request", /^cursor/],
    ];
    for (const [query, status, code, message] of cases) {
      const res = await api("GET", `/v1/users/search?${query}`, a.token);
      expect(res.status, query).toBe(status);
      expect(ErrorBody.parse(res.body).code).toBe(code);
      if (message) expect(res.body.message, query).toMatch(message);
    }
    expect((await api("GET", "/v1/users/search?q=ab", undefined)).status).toBe(401);
  });
});

describe("PATCH /v1/me", () => {
  it("changes display name, avatar and settings, answers like GET /me, and search follows", async () => {
    const tag = uniquePrefix();
    const a = await login();
    const patched = await api("PATCH", "/v1/me", a.token, {
      display_name: `  Grace ${tag}  `,
      avatar_url: "https://cdn.example/a.png?size=64",
      settings: { notifications: "mentions" },
    });
    expect(patched.status).toBe(200);
    const expected = {
      user: { id: a.userId, username: a.username, display_name: `Grace ${tag}`, avatar_url: "https://cdn.example/a.png?size=64" },
      settings: { notifications: "mentions", group_adds: "everyone", ...SHARING },
    };
    expect(MeResponse.parse(patched.body)).toEqual(expected);
    expect((await api("GET", "/v1/me", a.token)).body).toEqual(expected);
    expect((await api("GET", `/v1/users/${a.username}`, a.token)).body.user).toEqual(expected.user);
    const search = await api("GET", `/v1/users/search?q=${tag}`, a.token);
    expect(search.body.users).toEqual([expected.user]);
    // Omitted fields stay; null clears.
    const cleared = await api("PATCH", "/v1/me", a.token, { display_name: null });
    expect(cleared.body.user).toEqual({ id: a.userId, username: a.username, avatar_url: "https://cdn.example/a.png?size=64" });
    expect(cleared.body.settings).toEqual({ notifications: "mentions", group_adds: "everyone", ...SHARING });
    expect((await api("GET", `/v1/users/search?q=${tag}`, a.token)).body.users).toEqual([]);
    expect((await api("PATCH", "/v1/me", a.token, { avatar_url: null })).body.user).toEqual({ id: a.userId, username: a.username });
    // An empty patch changes nothing.
    expect((await api("PATCH", "/v1/me", a.token, {})).body).toEqual({ user: { id: a.userId, username: a.username }, settings: { notifications: "mentions", group_adds: "everyone", ...SHARING } });
  });

  it("the Directory keeps the newest copy of a profile: a late, older copy changes nothing", async () => {
    const tag = uniquePrefix();
    const a = await login();
    await api("PATCH", "/v1/me", a.token, { display_name: `First ${tag}` });
    await api("PATCH", "/v1/me", a.token, { display_name: `Second ${tag}` });
    const dir = env.DIRECTORY.get(env.DIRECTORY.idFromName("global"));
    // Version 1 was the first PATCH; replaying it late must not win over version 2.
    expect(await dir.setProfile(a.userId, { display_name: `First ${tag}`, avatar_url: null }, 1)).toEqual({ ok: true, value: { applied: false } });
    const found = await api("GET", `/v1/users/search?q=${tag}`, a.token);
    expect(found.body.users).toEqual([{ id: a.userId, username: a.username, display_name: `Second ${tag}` }]);
  });

  it("refuses bad input with bad_request naming the field, and changes nothing", async () => {
    const a = await login();
    await api("PATCH", "/v1/me", a.token, { display_name: "Kept" });
    const cases: Array<[unknown, RegExp]> = [
      [{ display_name: "" }, /^display_name/],
      [{ display_name: "   " }, /^display_name/],
      [{ display_name: "x".repeat(65) }, /^display_name/],
      [{ display_name: "a\u0000b" }, /^display_name/],
      [{ display_name: "a\ud800" }, /^display_name/],
      [{ display_name: 7 }, /^display_name/],
      [{ avatar_url: "http://cdn.example/a.png" }, /^avatar_url/],
      [{ avatar_url: "javascript:alert(1)" }, /^avatar_url/],
      [{ avatar_url: "https://user:pw@cdn.example/a.png" }, /^avatar_url/],
      [{ avatar_url: "https://cdn.example/a b.png" }, /^avatar_url/],
      [{ avatar_url: `https://cdn.example/${"a".repeat(2040)}` }, /^avatar_url/],
      [{ avatar_url: "" }, /^avatar_url/],
      [{ settings: { notifications: "loud" } }, /^settings\.notifications/],
      [{ settings: { group_adds: "friends" } }, /^settings\.group_adds/],
      [{ settings: { theme: "dark" } }, /^settings.*theme/],
      [{ settings: "all" }, /^settings/],
      [{ username: "rename" }, /username/],
      [[], /expected object/],
      ["{not json", /JSON/],
    ];
    for (const [body, field] of cases) {
      const res = await api("PATCH", "/v1/me", a.token, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(ErrorBody.parse(res.body).code).toBe("bad_request");
      expect(res.body.message, JSON.stringify(body).slice(0, 60)).toMatch(field);
    }
    // 64 characters is fine, counted as characters (an emoji is one).
    expect((await api("PATCH", "/v1/me", a.token, { display_name: "😀".repeat(64) })).status).toBe(200);
    expect((await api("PATCH", "/v1/me", a.token, { avatar_url: `https://cdn.example/${"a".repeat(2028)}` })).status).toBe(200);
    expect((await api("GET", "/v1/me", a.token)).body.settings).toEqual({ notifications: "all", group_adds: "everyone", ...SHARING });
    expect((await api("PATCH", "/v1/me", undefined, { display_name: "x" })).status).toBe(401);
  });
});
