import { describe, expect, it } from "vitest";
import { CEREMONY_SHARDS, ceremonyShard, equal, newCeremonyId, signTicket, verifyCeremonyId, verifyTicket } from "./signed.ts";

const KEY = "unit-test-secret-of-enough-length";
const OTHER = "another-secret-of-enough-length!!";

describe("ceremony ids", () => {
  it("verify under the secret that signed them and name their shard", async () => {
    const id = await newCeremonyId(KEY);
    expect(id).toMatch(/^cer[0-9a-f]_[A-Za-z0-9]{24}\.[A-Za-z0-9_-]{22}$/);
    const shard = await verifyCeremonyId(KEY, id);
    expect(shard).toBe(parseInt(id[3]!, 16));
    expect(shard).toBeLessThan(CEREMONY_SHARDS);
    expect(ceremonyShard(shard!)).toBe(`ceremonies-${shard}`);
    expect(await newCeremonyId(KEY)).not.toBe(id);
  });

  it("anything changed, signed elsewhere or malformed does not verify, and never throws", async () => {
    const id = await newCeremonyId(KEY);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const shardMoved = `cer${((parseInt(id[3]!, 16) + 1) % 16).toString(16)}${id.slice(4)}`;
    for (const bad of [flip(id, 6), flip(id, id.length - 1), shardMoved, id.slice(0, -1), `${id}x`, "", "cer1_x.y", "garbage", 42, null, undefined, "a".repeat(200)]) {
      expect(await verifyCeremonyId(KEY, bad), String(bad)).toBeUndefined();
    }
    expect(await verifyCeremonyId(OTHER, id)).toBeUndefined();
  });
});

describe("choose-username tickets", () => {
  const claims = { provider: "github", subject: "12345", label: "octocat", suggested: "octocat", exp: Date.now() + 60_000 };

  it("carry their claims, signed, until they expire", async () => {
    const ticket = await signTicket(KEY, claims);
    expect(ticket).toMatch(/^ot_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await verifyTicket(KEY, ticket)).toEqual(claims);
    expect(await verifyTicket(KEY, ticket, claims.exp)).toBeUndefined();
    expect(await verifyTicket(KEY, await signTicket(KEY, { ...claims, label: null, suggested: null }))).toMatchObject({ label: null, suggested: null });
  });

  it("a ticket changed anywhere, or signed under another secret, does not verify", async () => {
    const ticket = await signTicket(KEY, claims);
    const [payload, mac] = ticket.slice(3).split(".") as [string, string];
    // Each character changed for one that surely differs: a fixed "A" would leave a MAC that ends in "A" as it was.
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const forgedPayload = btoa(JSON.stringify({ p: "github", s: "1", e: claims.exp })).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    for (const bad of [`ot_${forgedPayload}.${mac}`, `ot_${payload}.${flip(mac, 0)}`, `ot_${payload}.${flip(mac, mac.length - 2)}`, `ot_${flip(payload, 1)}.${mac}`, `ot_${payload}x.${mac}`, "ot_.x", ticket.replace("ot_", "xt_"), ""]) {
      expect(await verifyTicket(KEY, bad), bad).toBeUndefined();
    }
    expect(await verifyTicket(OTHER, ticket)).toBeUndefined();
  });
});

describe("equal", () => {
  it("compares strings whole", () => {
    expect(equal("abc", "abc")).toBe(true);
    expect(equal("abc", "abd")).toBe(false);
    expect(equal("abc", "ab")).toBe(false);
  });
});
