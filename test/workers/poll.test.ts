/**
 * The long-poll (`GET /v1/conversations/{id}/poll`) after the request was
 * admitted: a held poll belongs to its user, is checked again when it is
 * answered, and is settled at once when its user loses access; one user
 * cannot hold more than a few.
 */
import { describe, expect, it } from "vitest";
import { ErrorBody, PollResponse } from "../../src/protocol/index.ts";
import { api, createDirect, createGroup, login } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const poll = (id: string, token: string, afterSeq = 0, timeoutMs = 20_000) =>
  api("GET", `/v1/conversations/${id}/poll?after_seq=${afterSeq}&timeout_ms=${timeoutMs}`, token);

/** Resolves to "pending" when `p` has not settled within `ms`. */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<T | "pending"> {
  return Promise.race([p, sleep(ms).then(() => "pending" as const)]);
}

describe("a held long-poll", () => {
  it("of a member who is removed is refused at once (404, as for an unknown id) and never carries the message about them", async () => {
    const owner = await login();
    const m = await login();
    const other = await login();
    const id = await createGroup(owner, [m, other]);
    const started = Date.now();
    const removed = poll(id, m.token);
    const stays = poll(id, other.token);
    await sleep(150);
    expect(await settledWithin(removed, 0)).toBe("pending");
    expect((await api("DELETE", `/v1/conversations/${id}/members/${m.userId}`, owner.token)).status).toBe(200);
    const refused = await removed;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(refused.status).toBe(404);
    expect(refused.body).toEqual((await api("GET", "/v1/conversations/c_dnoSuchConversation0000/poll?after_seq=0", m.token)).body);
    // The message about them reaches the members who are still in, not them.
    await api("POST", `/v1/conversations/${id}/messages`, owner.token, { client_msg_id: "about", body: `we removed ${m.username}` });
    const page = PollResponse.parse((await stays).body);
    expect(page.messages.map((x) => x.body)).toEqual([`we removed ${m.username}`]);
    // A new poll is refused too.
    expect((await poll(id, m.token, 0, 0)).status).toBe(404);
  });

  it("of a member who leaves is settled at once", async () => {
    const owner = await login();
    const m = await login();
    const id = await createGroup(owner, [m]);
    const held = poll(id, m.token);
    await sleep(150);
    expect((await api("DELETE", `/v1/conversations/${id}/members/${m.userId}`, m.token)).status).toBe(200);
    const res = await settledWithin(held, 3000);
    expect(res).not.toBe("pending");
    expect((res as { status: number }).status).toBe(404);
  });

  it("of a user blocked in a direct conversation is refused at once with 403, and the next message does not reach it", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const blockedPoll = poll(id, b.token);
    const blockerPoll = poll(id, a.token);
    await sleep(150);
    expect((await api("POST", `/v1/blocks/${b.username}`, a.token)).status).toBe(200);
    const refused = await settledWithin(blockedPoll, 3000);
    expect(refused).not.toBe("pending");
    const res = refused as { status: number; body: unknown };
    // Still a member, refused by a rule: 403.
    expect(res.status).toBe(403);
    expect(ErrorBody.parse(res.body).code).toBe("forbidden");
    await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "after-block", body: `about ${b.username}` });
    // The blocker's own poll is unaffected and gets it.
    expect(PollResponse.parse((await blockerPoll).body).messages.map((x) => x.body)).toEqual([`about ${b.username}`]);
    expect((await poll(id, b.token, 0, 0)).status).toBe(403);
  });

  it("is one of at most 3 per user and conversation: past them a poll is answered at once; others still wait", async () => {
    const owner = await login();
    const m = await login();
    const other = await login();
    const id = await createGroup(owner, [m, other]);
    const held = [poll(id, m.token), poll(id, m.token), poll(id, m.token)];
    await sleep(150);
    const started = Date.now();
    const fourth = await poll(id, m.token);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fourth.status).toBe(200);
    expect(fourth.body).toEqual({ messages: [], last_seq: 0, last_rev: 0 });
    // Another user's poll is still held.
    const others = poll(id, other.token);
    expect(await settledWithin(others, 300)).toBe("pending");
    await api("POST", `/v1/conversations/${id}/messages`, owner.token, { client_msg_id: "wake", body: "wake up" });
    for (const res of await Promise.all([...held, others])) {
      expect(PollResponse.parse(res.body).messages.map((x) => x.seq)).toEqual([1]);
    }
    // Answered polls free their places.
    const again = poll(id, m.token, 1);
    expect(await settledWithin(again, 300)).toBe("pending");
    await api("POST", `/v1/conversations/${id}/messages`, owner.token, { client_msg_id: "wake2", body: "again" });
    expect(PollResponse.parse((await again).body).messages.map((x) => x.seq)).toEqual([2]);
  });
});

describe("a long-poll by rev (since v1.2)", () => {
  const byRev = (id: string, token: string, afterRev: number, timeoutMs = 20_000) =>
    api("GET", `/v1/conversations/${id}/poll?after_rev=${afterRev}&timeout_ms=${timeoutMs}`, token);

  it("answers with every change after the rev — an edit and a deletion wake a held poll; a poll by seq waits for a new message", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    for (const [key, body] of [["r1", "first"], ["r2", "second"]]) {
      expect((await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: key, body })).status).toBe(200);
    }
    const now = PollResponse.parse((await byRev(id, b.token, 0, 0)).body);
    expect(now.messages.map((m) => [m.seq, m.body])).toEqual([[1, "first"], [2, "second"]]);
    expect(now.last_seq).toBe(2);
    const rev = now.last_rev!;
    expect(rev).toBe(now.messages.at(-1)!.rev);

    const held = byRev(id, b.token, rev);
    const bySeq = poll(id, b.token, 2);
    await sleep(150);
    expect(await settledWithin(held, 0)).toBe("pending");
    expect((await api("PATCH", `/v1/conversations/${id}/messages/1`, a.token, { body: "first, edited" })).status).toBe(200);
    const edited = PollResponse.parse((await held).body);
    expect(edited.messages.map((m) => [m.seq, m.body, m.rev])).toEqual([[1, "first, edited", rev + 1]]);
    expect(edited).toMatchObject({ last_seq: 2, last_rev: rev + 1 });
    // The poll by seq saw nothing new: it is still held.
    expect(await settledWithin(bySeq, 100)).toBe("pending");

    // A deletion, then a new message: each change once, in rev order, from the cursor.
    expect((await api("DELETE", `/v1/conversations/${id}/messages/2`, a.token)).status).toBe(200);
    expect((await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "r3", body: "third" })).status).toBe(200);
    const rest = PollResponse.parse((await byRev(id, b.token, rev + 1, 0)).body);
    expect(rest.messages.map((m) => [m.seq, m.deleted_at !== undefined, m.rev])).toEqual([[2, true, rev + 2], [3, false, rev + 3]]);
    expect(PollResponse.parse((await bySeq).body).messages.map((m) => m.seq)).toEqual([3]);
  });

  it("takes exactly one cursor", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const both = await api("GET", `/v1/conversations/${id}/poll?after_seq=0&after_rev=0&timeout_ms=0`, a.token);
    expect(both.status).toBe(400);
    expect(ErrorBody.parse(both.body)).toMatchObject({ code: "bad_request" });
    expect(both.body.message).toMatch(/^after_seq: /);
    const bad = await api("GET", `/v1/conversations/${id}/poll?after_rev=1e3&timeout_ms=0`, a.token);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^after_rev: /);
  });
});

