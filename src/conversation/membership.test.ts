import { describe, expect, it } from "vitest";
import { admissionWindow } from "./membership.ts";

describe("admissionWindow", () => {
  it("gives an add 5 s, 10 ms more per person, at most 15 s", () => {
    expect(admissionWindow(0)).toBe(5000);
    expect(admissionWindow(1)).toBe(5010);
    expect(admissionWindow(999)).toBe(14_990);
    expect(admissionWindow(5000)).toBe(15_000);
  });
});
