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
      { name: "invite", code: "c_gABC-_1.Abcdefghijklmnopqrstuv" },
      { name: "admin", section: "reports" },
      { name: "admin", section: "reports", id: "r_123abc" },
      { name: "admin", section: "bots" },
      { name: "admin", section: "webhooks", id: "wh_0123456789abcdefghij" },
      { name: "admin", section: "metrics" },
    ];
    for (const r of routes) expect(parseRoute(routeHash(r))).toEqual(r);
  });

  it("sends anything unknown or malformed to the list", () => {
    for (const h of ["", "#", "#/", "#/nope", "#/c/", "#/c/not-an-id", "#/c/%E0%A4%A", "#c_dabc", "#/invite/", "#/invite/a%20b", "#/invite/<x>"]) expect(parseRoute(h)).toEqual({ name: "home" });
  });

  it("reads an unknown operator section as the reports, and drops an id where none belongs", () => {
    expect(parseRoute("#/admin")).toEqual({ name: "admin", section: "reports" });
    expect(parseRoute("#/admin/nope")).toEqual({ name: "admin", section: "reports" });
    expect(parseRoute("#/admin/metrics/x")).toEqual({ name: "admin", section: "metrics" });
    expect(parseRoute("#/admin/reports/a%2Fb")).toEqual({ name: "admin", section: "reports" });
  });

  it("ignores a seq that is not a positive whole number", () => {
    expect(parseRoute("#/c/c_dabc?seq=-1")).toEqual({ name: "conversation", id: "c_dabc" });
    expect(parseRoute("#/c/c_dabc?seq=1.5")).toEqual({ name: "conversation", id: "c_dabc" });
    expect(parseRoute("#/c/c_dabc?seq=abc")).toEqual({ name: "conversation", id: "c_dabc" });
  });
});
