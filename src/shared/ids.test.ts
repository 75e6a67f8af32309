import { describe, expect, it } from "vitest";
import { ConversationId } from "../protocol/index.ts";
import { directConversationId, groupConversationId, randomId, verifyConversationId } from "./ids.ts";

const SECRET = "unit-test-secret-of-enough-length";
const OTHER_SECRET = "another-unit-test-secret-of-enough-length";

describe("directConversationId", () => {
  it("is the same from either side and differs between pairs", async () => {
    const ab = await directConversationId(SECRET, "u_a", "u_b");
    expect(await directConversationId(SECRET, "u_b", "u_a")).toBe(ab);
    expect(await directConversationId(SECRET, "u_a", "u_c")).not.toBe(ab);
    expect(ConversationId.safeParse(ab).success).toBe(true);
    expect(ab).toMatch(/^c_d[0-9a-f]{32}[A-Za-z0-9_-]{22}$/);
  });
});

describe("signed conversation ids", () => {
  it("verify under the secret that minted them, and fit the ConversationId schema", async () => {
    for (const id of [await groupConversationId(SECRET), await directConversationId(SECRET, "u_a", "u_b")]) {
      expect(ConversationId.safeParse(id).success, id).toBe(true);
      expect(await verifyConversationId(SECRET, id), id).toBe(true);
      expect(await verifyConversationId(OTHER_SECRET, id), id).toBe(false);
    }
    expect(await groupConversationId(SECRET)).toMatch(/^c_g[0-9A-Za-z]{20}[A-Za-z0-9_-]{22}$/);
  });

  it("an id changed anywhere, guessed, or of the older unsigned format does not verify", async () => {
    const group = await groupConversationId(SECRET);
    const direct = await directConversationId(SECRET, "u_a", "u_b");
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    const forgeries = [
      flip(group, 5), flip(group, group.length - 1), flip(direct, direct.length - 3),
      // The body of one id with the MAC of another.
      group.slice(0, -22) + direct.slice(-22),
      // A well-formed guess, and the unsigned formats of before (c_g + 20, c_d + 32 hex).
      `${randomId("c_g", 20)}${randomId("", 22)}`, randomId("c_g", 20), direct.slice(0, -22),
      "c_doesnotexist", "c_", "", `${group}x`, group.slice(1), group.toUpperCase(),
    ];
    for (const id of forgeries) expect(await verifyConversationId(SECRET, id), id).toBe(false);
  });
});

describe("randomId", () => {
  it("has the prefix, the length and no repeats in 10,000 draws", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => randomId("m_", 20)));
    expect(ids.size).toBe(10_000);
    for (const id of [...ids].slice(0, 50)) expect(id).toMatch(/^m_[0-9A-Za-z]{20}$/);
  });
});
