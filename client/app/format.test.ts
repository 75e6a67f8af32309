import { afterAll, beforeAll, describe, expect, it } from "vitest";

declare const process: { env: Record<string, string | undefined> };
import { dayLabel, dayStarts, fileSize, initials, insertMention, lastSeen, mentionAt, mentionParts } from "./format.ts";

// Local days depend on the time zone: these tests pin one.
const tz = process.env.TZ;
beforeAll(() => {
  process.env.TZ = "UTC";
});
afterAll(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});

const at = (iso: string) => Date.parse(iso);

describe("days", () => {
  it("labels today, yesterday, this week and older dates", () => {
    const now = at("2026-11-27T10:00:00Z");
    expect(dayLabel(at("2026-11-27T00:00:01Z"), now, "en-GB")).toBe("Today");
    expect(dayLabel(at("2026-11-26T23:59:59Z"), now, "en-GB")).toBe("Yesterday");
    expect(dayLabel(at("2026-11-24T12:00:00Z"), now, "en-GB")).toBe("Tuesday");
    expect(dayLabel(at("2026-11-01T12:00:00Z"), now, "en-GB")).toBe("1 November");
    expect(dayLabel(at("2025-12-31T12:00:00Z"), now, "en-GB")).toBe("31 December 2025");
  });

  it("starts a new day at the first message and at each change of day, not within a day", () => {
    expect([...dayStarts([at("2026-11-25T23:00:00Z"), at("2026-11-25T23:59:00Z"), at("2026-11-26T00:01:00Z"), at("2026-11-26T09:00:00Z"), at("2026-11-28T09:00:00Z")])]).toEqual([0, 2, 4]);
    expect([...dayStarts([])]).toEqual([]);
  });

  it("says how long ago someone was seen", () => {
    const now = at("2026-11-27T10:00:00Z");
    expect(lastSeen(now - 20_000, now)).toBe("last seen just now");
    expect(lastSeen(now - 60_000, now)).toBe("last seen 1 minute ago");
    expect(lastSeen(now - 3 * 3600_000, now)).toBe("last seen 3 hours ago");
    expect(lastSeen(now - 2 * 86400_000, now)).toBe("last seen 2 days ago");
  });
});

describe("mentions", () => {
  it("finds the name being typed after @ at the start or after a separator, not inside a word or an address", () => {
    expect(mentionAt("@al", 3)).toEqual({ start: 0, query: "al" });
    expect(mentionAt("hi @", 4)).toEqual({ start: 3, query: "" });
    expect(mentionAt("hi (@bob_1", 10)).toEqual({ start: 4, query: "bob_1" });
    expect(mentionAt("mail me@host", 12)).toBeUndefined();
    expect(mentionAt("@@x", 3)).toBeUndefined();
    expect(mentionAt("@al and more", 3)).toEqual({ start: 0, query: "al" });
    expect(mentionAt("@al more", 8)).toBeUndefined();
  });

  it("inserts the chosen name with a space and puts the caret after it", () => {
    expect(insertMention("hi @al!", 3, 6, "alice")).toEqual({ text: "hi @alice !", caret: 10 });
  });

  it("splits a body into text and mentions of known names only, regardless of case", () => {
    expect(mentionParts("hey @Alice and @nobody, @bob!", ["alice", "bob"])).toEqual([
      { text: "hey ", mention: false },
      { text: "@Alice", mention: true },
      { text: " and @nobody, ", mention: false },
      { text: "@bob", mention: true },
      { text: "!", mention: false },
    ]);
    expect(mentionParts("a@alice", ["alice"])).toEqual([{ text: "a@alice", mention: false }]);
  });
});

describe("small things", () => {
  it("writes file sizes and initials", () => {
    expect(fileSize(900)).toBe("900 B");
    expect(fileSize(2048)).toBe("2.0 KB");
    expect(fileSize(5 * 1024 * 1024)).toBe("5.0 MB");
    expect(initials("alice_smith")).toBe("AS");
    expect(initials("Élodie")).toBe("É");
    expect(initials("  ")).toBe("?");
  });
});
