import { describe, expect, it } from "vitest";
import { safeReturnTo } from "./return-to.ts";

describe("safeReturnTo", () => {
  it("keeps paths of this site, with query and fragment", () => {
    for (const ok of ["/", "/#/settings", "/app?x=1#y", "/a/b/c"]) expect(safeReturnTo(ok), ok).toBe(ok);
  });

  it("refuses anything that could leave the site", () => {
    for (const bad of [undefined, "", "//evil.example", "///evil.example", "/\\evil.example", "https://evil.example", "evil.example", "javascript:alert(1)",
      "/\t/evil.example", "/\n/evil.example", "/ x", `/${"a".repeat(600)}`, "\\\\evil.example", "/\u0085x"]) {
      expect(safeReturnTo(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
