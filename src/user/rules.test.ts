import { describe, expect, it } from "vitest";
import {
  activityAt, decodeInboxCursor, encodeInboxCursor, groupAddAllowed, inboxChange, isNewerReport, notificationAllowed, shouldApply,
} from "./rules.ts";

describe("shouldApply (max-wins on version)", () => {
  it("applies the first update and only strictly newer ones after it", () => {
    expect(shouldApply(undefined, 0)).toBe(true);
    expect(shouldApply(3, 4)).toBe(true);
    expect(shouldApply(3, 3)).toBe(false);
    expect(shouldApply(3, 2)).toBe(false);
  });
});

describe("inboxChange", () => {
  it("announces a removal only for a conversation the inbox listed", () => {
    expect(inboxChange(false, true)).toBe("updated");
    expect(inboxChange(true, true)).toBe("updated");
    expect(inboxChange(true, false)).toBe("removed");
    expect(inboxChange(false, false)).toBe("none");
  });
});

describe("activityAt", () => {
  it("is the last message's time, else the first time the inbox heard of it", () => {
    expect(activityAt(50, 10, 99)).toBe(50);
    expect(activityAt(undefined, 10, 99)).toBe(10);
    expect(activityAt(undefined, undefined, 99)).toBe(99);
  });
});

describe("notificationAllowed", () => {
  it("follows the notifications setting", () => {
    expect(["mention", "reply", "added"].map((k) => notificationAllowed("all", k as "mention"))).toEqual([true, true, true]);
    expect(["mention", "reply", "added"].map((k) => notificationAllowed("mentions", k as "mention"))).toEqual([true, true, false]);
    expect(["mention", "reply", "added"].map((k) => notificationAllowed("none", k as "mention"))).toEqual([false, false, false]);
  });
});

describe("isNewerReport", () => {
  it("keeps the later report; a tie goes to the one that arrived last", () => {
    expect(isNewerReport(undefined, 1)).toBe(true);
    expect(isNewerReport(5, 6)).toBe(true);
    expect(isNewerReport(5, 5)).toBe(true);
    expect(isNewerReport(5, 4)).toBe(false);
  });
});

describe("groupAddAllowed", () => {
  it("never lets a blocked person add; under contacts, only people with a direct conversation", () => {
    expect(groupAddAllowed(false, "everyone", false)).toBe(true);
    expect(groupAddAllowed(true, "everyone", true)).toBe(false);
    expect(groupAddAllowed(false, "contacts", false)).toBe(false);
    expect(groupAddAllowed(false, "contacts", true)).toBe(true);
    expect(groupAddAllowed(true, "contacts", true)).toBe(false);
  });
});

describe("inbox cursors", () => {
  it("round-trip a position and refuse anything that is not one", () => {
    const p = { activityAt: 1763769600000, id: "c_g0123456789abcdefghij" };
    const cursor = encodeInboxCursor(p);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeInboxCursor(cursor)).toEqual(p);
    const forge = (text: string) => btoa(text).replace(/=+$/, "");
    for (const bad of ["", "x", "!!!", forge("12:nope"), forge("-1:c_x"), forge("1e3:c_x"), forge("99999999999999999:c_x"), "a".repeat(201)]) {
      expect(decodeInboxCursor(bad), bad).toBeUndefined();
    }
  });
});
