import { describe, expect, it } from "vitest";
import { CreateConversationRequest, UpdateConversationRequest } from "./rest.ts";
import { displayText } from "./text.ts";
import { DisplayName, PatchMeRequest } from "./users.ts";

const Name = displayText(10, "must not be empty");

function problem(value: string): string | undefined {
  const parsed = Name.safeParse(value);
  return parsed.success ? undefined : parsed.error.issues[0]!.message;
}

describe("displayText: what a name people see may contain", () => {
  it("accepts ordinary names in any script, emoji and their joiners, trimmed", () => {
    for (const ok of ["Bob", "Zoë", "李小龍", "مريم", "שָׁלוֹם", "Ελένη", "👨‍👩‍👧", "❤️", "a\u200db", "🇫🇷 Paris", "क्षत्रिय"]) {
      expect(problem(ok), JSON.stringify(ok)).toBeUndefined();
    }
    expect(Name.parse("  Bob  ")).toBe("Bob");
  });

  it("refuses bidirectional formatting characters anywhere", () => {
    for (const bidi of ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]) {
      // "evil<RLO>gpj.exe" shows as "evilexe.jpg".
      expect(problem(`ev${bidi}il`), `U+${bidi.codePointAt(0)!.toString(16)}`).toMatch(/bidirectional/);
    }
  });

  it("refuses lone surrogates, which would be stored corrupted", () => {
    for (const broken of ["a\ud800", "\udc00b", "a\ud83db", "\ude00\ud83d"]) {
      expect(problem(broken), JSON.stringify(broken)).toMatch(/well-formed Unicode/);
    }
  });

  it("refuses control characters and line separators", () => {
    for (const c of ["\u0000", "\u0007", "\n", "\t", "\r", "\u001b", "\u007f", "\u0085", "\u009b", "\u2028", "\u2029"]) {
      expect(problem(`a${c}b`), `U+${c.codePointAt(0)!.toString(16)}`).toMatch(/control/);
    }
  });

  it("refuses names that are only invisible characters", () => {
    const invisible = [
      "\u200b", "\u200b\u200b\u200b", "\u200c", "\u200d", "\u2060", "\ufeff\u200b", "\u00ad", "\u034f", "\u180e",
      "\u3164", "\u115f", "\u1160", "\uffa0", "\u2800", "\ufe0f", "\u{e0041}\u{e0042}", "\u0301\u0301", "\u2063", "\u2064",
    ];
    for (const s of invisible) {
      expect(problem(s), [...s].map((c) => c.codePointAt(0)!.toString(16)).join(" ")).toMatch(/visible character/);
    }
    // An invisible character inside a visible name is no reason to refuse it.
    expect(problem("Bob\u200b")).toBeUndefined();
  });

  it("refuses empty and white-space-only names, and counts the length in code points", () => {
    for (const empty of ["", "   ", "\u3000", "\u2003\u00a0"]) expect(problem(empty), JSON.stringify(empty)).toBe("must not be empty");
    expect(problem("😀".repeat(10))).toBeUndefined();
    expect(problem("😀".repeat(11))).toMatch(/at most 10 characters/);
  });
});

describe("the names of the contract use it", () => {
  const hostile = ["\u202eevil", "a\ud800", "a\u0000", "\u200b\u200d", "\u3164"];

  it("display names", () => {
    for (const s of hostile) {
      expect(DisplayName.safeParse(s).success, JSON.stringify(s)).toBe(false);
      expect(PatchMeRequest.safeParse({ display_name: s }).success).toBe(false);
    }
    expect(DisplayName.parse(" Zoë 👋 ")).toBe("Zoë 👋");
  });

  it("group titles, at creation and rename", () => {
    for (const s of hostile) {
      expect(CreateConversationRequest.safeParse({ kind: "group", title: s }).success, JSON.stringify(s)).toBe(false);
      expect(UpdateConversationRequest.safeParse({ title: s }).success, JSON.stringify(s)).toBe(false);
    }
    expect(UpdateConversationRequest.parse({ title: " Team 🚀 " }).title).toBe("Team 🚀");
    expect(UpdateConversationRequest.safeParse({ title: "é".repeat(200) }).success).toBe(true);
    expect(UpdateConversationRequest.safeParse({ title: "é".repeat(201) }).success).toBe(false);
  });
});
