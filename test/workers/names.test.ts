/**
 * Names people see — display names and group titles — refuse bidirectional
 * formatting, lone surrogates, control characters and invisible-only text
 * over REST, and nothing is stored (src/protocol/text.ts has the rules and
 * their unit tests).
 */
import { describe, expect, it } from "vitest";
import { ErrorBody } from "../../src/protocol/index.ts";
import { api, createGroup, login } from "./helpers.ts";

const HOSTILE = ["\u202egnp.exe", "Bob\u2066\u2069", "a\ud800", "\udfffz", "a\u0000b", "a\u001b[31mb", "\u200b\u200b", "\u3164", "\u2800"];

describe("names people see", () => {
  it("display names and group titles refuse hostile text with 400 naming the field, and keep what they had", async () => {
    const owner = await login();
    const member = await login();
    expect((await api("PATCH", "/v1/me", owner.token, { display_name: "Kept" })).status).toBe(200);
    const id = await createGroup(owner, [member], "Kept title");
    for (const text of HOSTILE) {
      const label = JSON.stringify(text);
      const me = await api("PATCH", "/v1/me", owner.token, { display_name: text });
      expect(me.status, label).toBe(400);
      expect(ErrorBody.parse(me.body).message, label).toMatch(/^display_name/);
      const rename = await api("PATCH", `/v1/conversations/${id}`, owner.token, { title: text });
      expect(rename.status, label).toBe(400);
      expect(rename.body.message, label).toMatch(/^title/);
      const create = await api("POST", "/v1/conversations", owner.token, { kind: "group", title: text, members: [member.username] });
      expect(create.status, label).toBe(400);
    }
    expect((await api("GET", "/v1/me", owner.token)).body.user.display_name).toBe("Kept");
    expect((await api("GET", `/v1/conversations/${id}`, member.token)).body.conversation.title).toBe("Kept title");
  });
});
