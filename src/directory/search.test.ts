import { describe, expect, it } from "vitest";
import { FIRST, decodeCursor, encodeCursor, nameKeys, normalize, prefixEnd } from "./search.ts";

describe("normalize", () => {
  it("lowers case, drops accents and collapses white space", () => {
    expect(normalize("  José   ÅNGSTRÖM ")).toBe("jose angstrom");
    expect(normalize("Ｆｕｌｌ")).toBe("full");
  });
});

describe("nameKeys", () => {
  it("are the whole name and each word, once", () => {
    expect(nameKeys("Ada Lovelace")).toEqual(["ada lovelace", "ada", "lovelace"]);
    expect(nameKeys("Jean-Luc Picard-Picard")).toEqual(["jean-luc picard-picard", "jean", "luc", "picard"]);
    expect(nameKeys("Zoë")).toEqual(["zoe"]);
  });

  it("are empty for no name", () => {
    expect(nameKeys(undefined)).toEqual([]);
    expect(nameKeys("   ")).toEqual([]);
  });
});

describe("prefixEnd", () => {
  it("sorts after every string with the prefix and before the next prefix (UTF-8 order)", () => {
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const cmp = (a: string, b: string) => {
      const x = enc(a);
      const y = enc(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    };
    const end = prefixEnd("ab");
    for (const inside of ["ab", "abz", "ab\uffff", "ab😀"]) expect(cmp(inside, end)).toBeLessThan(0);
    for (const outside of ["ac", "b"]) expect(cmp(outside, end)).toBeGreaterThan(0);
  });
});

describe("cursors", () => {
  it("round-trip, including non-ASCII text", () => {
    const key = { rank: 2 as const, len: 0, text: "zoë 😀", id: "u_x" };
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(key);
    expect(decodeCursor(encodeCursor(FIRST))).toEqual(FIRST);
  });

  it("refuse anything else with bad_request naming the cursor", () => {
    const forged = btoa(JSON.stringify([7, 0, "", ""])).replace(/=+$/, "");
    for (const bad of ["", "!!", "abc", forged, btoa("[1,2]").replace(/=+$/, "")]) {
      expect(() => decodeCursor(bad), bad).toThrow(/^cursor:/);
    }
  });
});
