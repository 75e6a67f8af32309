import { describe, expect, it } from "vitest";
import { ParleyError } from "../../src/protocol/index.ts";
import { ParleyApi } from "./rest.ts";

/** A fetch that answers `body` with `status` and keeps what it was asked. */
function answering(status: number, body: unknown): { fetch: typeof fetch; seen: Request[] } {
  const seen: Request[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    seen.push(new Request(input, init));
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  return { fetch: fetchImpl, seen };
}

describe("ParleyApi.forBot", () => {
  it("sends the bot token with the Bot scheme and does not try to refresh it", async () => {
    const refused = answering(401, { code: "unauthorized", message: "The bot token is invalid or was revoked.", retryable: false });
    const bot = ParleyApi.forBot("https://chat.example", "pbt_u_bot_x.abc", { fetch: refused.fetch });
    await expect(bot.me()).rejects.toMatchObject({ code: "unauthorized" });
    expect(refused.seen.map((r) => r.headers.get("authorization"))).toEqual(["Bot pbt_u_bot_x.abc"]);
  });

  it("refuses anything that is not a bot token or a base URL", () => {
    expect(() => ParleyApi.forBot("https://chat.example", "eyJ.a.b")).toThrow(/bot token/);
    expect(() => ParleyApi.forBot("chat.example", "pbt_x")).toThrow(/baseUrl/);
  });
});

describe("the v1.2 answers are checked against the contract", () => {
  it("an admin answer of another shape is refused as internal, naming the field", async () => {
    const odd = answering(200, { suspended: "yes", sockets_closed: 1 });
    const api = ParleyApi.forBot("https://chat.example", "pbt_u_bot_x.abc", { fetch: odd.fetch });
    const err = await api.admin.suspend("u_someone").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParleyError);
    expect(err).toMatchObject({ code: "internal" });
    expect((err as Error).message).toMatch(/suspended/);
  });

  it("an invite preview without member_count is refused", async () => {
    const odd = answering(200, { invite: { title: "x", expires_at: 1 } });
    const api = ParleyApi.forBot("https://chat.example", "pbt_u_bot_x.abc", { fetch: odd.fetch });
    await expect(api.previewInvite("c_x.y")).rejects.toMatchObject({ code: "internal" });
  });
});
