/**
 * Invite links (docs/protocol.md §22.17): made by a group's owner or
 * admins, expiring, usage-limited, revocable; a holder previews and joins,
 * subject to blocks and the member limit (12 in these tests); every try
 * costs the user's budget (INVITE_RATE 30 per 10 min here).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createGroup, joined, login, type Session } from "./helpers.ts";

async function makeInvite(owner: Session, group: string, body: Record<string, unknown> = {}) {
  const res = await api("POST", `/v1/conversations/${group}/invites`, owner.token, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { code: string; url: string; invite: { id: string; uses: number; max_uses?: number; expires_at: number } };
}

const join = (who: Session, code: string) => api("POST", `/v1/invites/${encodeURIComponent(code)}/join`, who.token);

describe("an invite link", () => {
  it("is made by the owner or an admin, previewed by a holder, and joins them once", async () => {
    const owner = await login();
    const member = await login();
    const group = await createGroup(owner, [member], "book club");
    // A plain member may not make one.
    expect((await api("POST", `/v1/conversations/${group}/invites`, member.token, {})).status).toBe(403);
    const { code, url, invite } = await makeInvite(owner, group, { max_uses: 5 });
    expect(code.startsWith(`${group}.`)).toBe(true);
    expect(url).toContain(encodeURIComponent(code));
    expect(invite).toMatchObject({ uses: 0, max_uses: 5, revoked: false });
    // Only the hash of the secret part is stored: the code is nowhere in the actor's storage.
    const stored = await runInDurableObject(env.CONVERSATION.get(env.CONVERSATION.idFromName(group)), (_i, state) =>
      state.storage.sql.exec("SELECT * FROM invites").toArray());
    expect(JSON.stringify(stored)).not.toContain(code.split(".")[1]);

    const newcomer = await login();
    const preview = await api("GET", `/v1/invites/${encodeURIComponent(code)}`, newcomer.token);
    expect(preview.status).toBe(200);
    expect(preview.body.invite).toMatchObject({ title: "book club", member_count: 2 });
    const joinedRes = await join(newcomer, code);
    expect(joinedRes.status).toBe(200);
    expect(joinedRes.body.joined).toBe(true);
    expect(joinedRes.body.conversation.members.map((m: { user_id: string }) => m.user_id)).toContain(newcomer.userId);
    // The newcomer can now open the group; joining again uses nothing.
    const { client } = await joined(newcomer, group);
    client.close();
    expect((await join(newcomer, code)).body.joined).toBe(false);
    const list = await api("GET", `/v1/conversations/${group}/invites`, owner.token);
    expect(list.body.invites.find((i: { id: string }) => i.id === invite.id)).toMatchObject({ uses: 1 });
    // Members other than the owner and admins cannot list them.
    expect((await api("GET", `/v1/conversations/${group}/invites`, member.token)).status).toBe(403);
  });

  it("stops working once expired, used up or revoked, with one answer for all", async () => {
    const owner = await login();
    const group = await createGroup(owner, [], "g");
    const once = await makeInvite(owner, group, { max_uses: 1 });
    const expiring = await makeInvite(owner, group, { expires_in: 60_000 });
    const revoked = await makeInvite(owner, group);
    const [a, b, c, d] = await Promise.all([login(), login(), login(), login()]);

    expect((await join(a, once.code)).status).toBe(200);
    const exhausted = await join(b, once.code);
    expect(exhausted.status).toBe(404);

    // Time passes for the expiring one: its end is moved into the past in storage.
    await runInDurableObject(env.CONVERSATION.get(env.CONVERSATION.idFromName(group)), (_i, state) => {
      state.storage.sql.exec("UPDATE invites SET expires_at = ? WHERE substr(hash, 1, 16) = ?", Date.now() - 1, expiring.invite.id);
    });
    const expired = await join(c, expiring.code);
    expect(expired.status).toBe(404);
    expect((await api("GET", `/v1/invites/${encodeURIComponent(expiring.code)}`, c.token)).status).toBe(404);

    expect((await api("DELETE", `/v1/conversations/${group}/invites/${revoked.invite.id}`, owner.token)).body.invite.revoked).toBe(true);
    const afterRevoke = await join(d, revoked.code);
    expect(afterRevoke.status).toBe(404);
    // One answer, word for word, for used up, expired, revoked and made up.
    const madeUp = await join(d, `${group}.${"A".repeat(22)}`);
    for (const r of [exhausted, expired, afterRevoke, madeUp]) expect(r.body).toEqual(madeUp.body);
    expect(madeUp.body.code).toBe("not_found");
  });

  it("refuses a joiner a member has blocked, without saying who", async () => {
    const owner = await login();
    const member = await login();
    const group = await createGroup(owner, [member]);
    const { code } = await makeInvite(owner, group);
    const pest = await login();
    expect((await api("POST", `/v1/blocks/${pest.username}`, member.token)).status).toBe(200);
    const refused = await join(pest, code);
    expect(refused.status).toBe(403);
    expect(refused.body.message).not.toContain(member.username);
    expect(refused.body.message).not.toContain(member.userId);
    const list = await api("GET", `/v1/conversations/${group}/invites`, owner.token);
    expect(list.body.invites[0].uses).toBe(0);
  });

  it("refuses a join past the member limit (12) with conflict", async () => {
    const owner = await login();
    const others = await Promise.all(Array.from({ length: 11 }, () => login()));
    const group = await createGroup(owner, others);
    const { code } = await makeInvite(owner, group);
    const late = await join(await login(), code);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe("conflict");
  });

  it("lets exactly one of two concurrent joins take the last use", async () => {
    const owner = await login();
    const group = await createGroup(owner, []);
    const { code, invite } = await makeInvite(owner, group, { max_uses: 1 });
    const [a, b] = await Promise.all([login(), login()]);
    const results = await Promise.all([join(a, code), join(b, code)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 404]);
    const list = await api("GET", `/v1/conversations/${group}/invites`, owner.token);
    expect(list.body.invites.find((i: { id: string }) => i.id === invite.id).uses).toBe(1);
    const members = (await api("GET", `/v1/conversations/${group}`, owner.token)).body.conversation.members;
    expect(members).toHaveLength(2);
  });

  it("refuses hostile input, non-members and other groups' codes, and budgets every try", async () => {
    const owner = await login();
    const group = await createGroup(owner, []);
    for (const body of [{ max_uses: 0 }, { max_uses: 10_001 }, { expires_in: 10 }, { expires_in: 31 * 24 * 3600_000 }, { extra: 1 }, { max_uses: "5" }]) {
      const res = await api("POST", `/v1/conversations/${group}/invites`, owner.token, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const stranger = await login();
    expect((await api("POST", `/v1/conversations/${group}/invites`, stranger.token, {})).status).toBe(404);
    expect((await api("GET", `/v1/conversations/${group}/invites`, stranger.token)).status).toBe(404);
    const other = await createGroup(stranger, []);
    const { code } = await makeInvite(stranger, other);
    // A code of another group does not revoke anything here.
    expect((await api("DELETE", `/v1/conversations/${group}/invites/${encodeURIComponent(code)}`, owner.token)).status).toBe(404);
    expect((await api("POST", `/v1/invites/x/join`, undefined)).status).toBe(401);

    const guesser = await login();
    const statuses: number[] = [];
    for (const bad of ["", "%00", "a".repeat(300), `${group}.short`, `${group.slice(0, -2)}xx.${"B".repeat(22)}`, "<script>"]) {
      if (bad === "") continue;
      statuses.push((await api("GET", `/v1/invites/${encodeURIComponent(bad)}`, guesser.token)).status);
    }
    expect(new Set(statuses)).toEqual(new Set([404]));
    // Every try costs: past the budget (30 per 10 minutes here), 429 with Retry-After.
    let limited: { status: number; headers: Headers } | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      const res = await api("GET", `/v1/invites/${encodeURIComponent(`${group}.${String(i).padStart(22, "C")}`)}`, guesser.token);
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(404);
    }
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
