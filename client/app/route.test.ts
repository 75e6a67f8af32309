import { describe, expect, it } from "vitest";
import { parseRoute, routeHash, type Route } from "./route.ts";

describe("hash routes", () => {
  it("reads every screen and writes it back the same", () => {
    const routes: Route[] = [
      { name: "sign-in" },
      { name: "sign-in", error: "access_denied" },
      { name: "choose-username", ticket: "t.a/b+c" },
      { name: "choose-username", ticket: "ot_x.y", suggested: "octo_cat" },
      { name: "home" },
      { name: "conversation", id: "c_gABC-_1" },
      { name: "conversation", id: "c_dxyz", seq: 42 },
      { name: "conversation", id: "c_dxyz", info: true },
      { name: "search", q: "hello world & more" },
      { name: "notifications" },
      { name: "settings" },
    ];
    for (const r of routes) expect(parseRoute(routeHash(r))).toEqual(r);
  });

  it("sends anything unknown or malformed to the list", () => {
    for (const h of ["", "#", "#/", "#/nope", "#/c/", "#/c/not-an-id", "#/c/%E0%A4%A", "#c_dabc"]) expect(parseRoute(h)).toEqual({ name: "home" });
  });

  it("ignores a seq that is not a positive whole number", () => {
    expect(parseRoute("#/c/c_dabc?seq=-1")).toEqual({ name: "conversation", id: "c_dabc" });
    expect(parseRoute("#/c/c_dabc?seq=1.5")).toEqual({ name: "conversation", id: "c_dabc" });
    expect(parseRoute("#/c/c_dabc?seq=abc")).toEqual({ name: "conversation", id: "c_dabc" });
  });
});
