/**
 * Full-text search (protocol v1.1): in one conversation, ranked with
 * highlighted snippets and paged; across the caller's conversations; the
 * index following edits and deletions; hostile queries.
 */
import { describe, expect, it } from "vitest";
import { GlobalSearchResponse, MessageSearchPage } from "../../src/protocol/index.ts";
import { api, createGroup, login, type Session } from "./helpers.ts";

async function send(who: Session, id: string, key: string, body: string): Promise<number> {
  const res = await api("POST", `/v1/conversations/${id}/messages`, who.token, { client_msg_id: key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.seq as number;
}

async function search(who: Session, id: string, q: string, extra = ""): Promise<MessageSearchPage> {
  const res = await api("GET", `/v1/conversations/${id}/search?q=${encodeURIComponent(q)}${extra}`, who.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return MessageSearchPage.parse(res.body);
}

describe("search in a conversation", () => {
  it("finds messages by their words (stems and prefixes), best first, with the matches marked in a snippet", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    await send(a, id, "1", "The build runs late again, and the tests too");
    await send(b, id, "2", "nothing to see here");
    await send(a, id, "3", "running, running, running: we keep running it");
    // "run" matches runs and running (stems and prefixes); the message that says it most ranks first.
    const page = await search(b, id, "run");
    expect(page.results.map((r) => r.message.seq)).toEqual([3, 1]);
    expect(page.results[0]!.snippet.filter((p) => p.match).map((p) => p.text.toLowerCase())).toContain("running");
    expect(page.results[1]!.snippet.map((p) => p.text).join("")).toContain("late again");
    expect((await search(b, id, "absent")).results).toEqual([]);
  });

  it("pages with a cursor, and follows edits and deletions", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    for (let i = 0; i < 5; i++) await send(a, id, `p${i}`, `alpha number ${i}`);
    const first = await search(a, id, "alpha", "&limit=2");
    expect(first.results).toHaveLength(2);
    expect(first.next_cursor).toBeDefined();
    const second = await search(a, id, "alpha", `&limit=2&cursor=${first.next_cursor}`);
    const third = await search(a, id, "alpha", `&limit=2&cursor=${second.next_cursor}`);
    const seqs = [...first.results, ...second.results, ...third.results].map((r) => r.message.seq);
    expect(seqs.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(third.next_cursor).toBeUndefined();

    expect((await api("PATCH", `/v1/conversations/${id}/messages/1`, a.token, { body: "beta now" })).status).toBe(200);
    expect((await api("DELETE", `/v1/conversations/${id}/messages/2`, a.token)).status).toBe(200);
    expect((await search(a, id, "alpha")).results.map((r) => r.message.seq).sort()).toEqual([3, 4, 5]);
    expect((await search(a, id, "beta")).results.map((r) => r.message.seq)).toEqual([1]);
  });

  it("takes any text as words (no query syntax gets through), refuses an empty query, and answers only members", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    await send(a, id, "1", "quotes \"and\" stars * and NEAR(things)");
    for (const q of ['"', "*", "NEAR(", "body:x", "a OR", "')--"]) {
      const res = await api("GET", `/v1/conversations/${id}/search?q=${encodeURIComponent(q)}`, a.token);
      expect([200, 400], q).toContain(res.status);
      if (res.status === 400) expect(res.body.code).toBe("bad_request");
    }
    expect((await search(a, id, "NEAR(things")).results.map((r) => r.message.seq)).toEqual([1]);
    expect((await api("GET", `/v1/conversations/${id}/search?q=`, a.token)).status).toBe(400);
    expect((await api("GET", `/v1/conversations/${id}/search?q=***`, a.token)).status).toBe(400);
    const stranger = await login();
    expect([403, 404]).toContain((await api("GET", `/v1/conversations/${id}/search?q=quotes`, stranger.token)).status);
  });
});

describe("search across conversations", () => {
  it("merges the caller's conversations by rank and says which conversation each match is in", async () => {
    const a = await login();
    const b = await login();
    const c = await login();
    const g1 = await createGroup(a, [b], "one");
    const g2 = await createGroup(a, [c], "two");
    const other = await createGroup(b, [c], "not a's");
    await send(a, g1, "1", "kiwi pie recipe");
    await send(c, g2, "2", "kiwi kiwi kiwi");
    await send(b, other, "3", "kiwi secret");
    // The User actor lists conversations from its inbox, which learns them from the sweeps.
    const deadline = Date.now() + 8000;
    let found: GlobalSearchResponse | undefined;
    while (Date.now() < deadline) {
      const res = await api("GET", "/v1/search?q=kiwi", a.token);
      expect(res.status).toBe(200);
      found = GlobalSearchResponse.parse(res.body);
      if (found.results.length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(found!.results.map((r) => r.conversation_id)).toEqual([g2, g1]);
    expect(found!.partial).toBe(false);
    expect((await api("GET", "/v1/search?q=", a.token)).status).toBe(400);
  });
});
