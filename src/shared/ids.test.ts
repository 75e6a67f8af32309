import { describe, expect, it } from "vitest";
import { ConversationId } from "../protocol/index.ts";
import { directConversationId, randomId } from "./ids.ts";

describe("directConversationId", () => {
  it("is the same from either side and differs between pairs", async () => {
    const ab = await directConversationId("u_a", "u_b");
    expect(await directConversationId("u_b", "u_a")).toBe(ab);
    expect(await directConversationId("u_a", "u_c")).not.toBe(ab);
    expect(ConversationId.safeParse(ab).success).toBe(true);
  });
});

describe("randomId", () => {
  it("has the prefix, the length and no repeats in 10,000 draws", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => randomId("m_", 20)));
    expect(ids.size).toBe(10_000);
    for (const id of [...ids].slice(0, 50)) expect(id).toMatch(/^m_[0-9A-Za-z]{20}$/);
  });
});
