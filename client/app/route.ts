/**
 * Hash routes, so links and reloads land on the same screen:
 *   #/sign-in[?error=code]        #/choose-username?ticket=…[&suggested=name]
 *   #/                            the conversation list
 *   #/c/<id>[?seq=n]              a conversation (n: a message to jump to)
 *   #/c/<id>/info                 a conversation's details (members, mute, …)
 *   #/search[?q=…]                search across conversations
 *   #/notifications               #/settings
 *   #/invite/<code>               an invite link's join screen (§22.17: the URL the engine hands out)
 *   #/admin[/reports[/<id>]|/bots|/webhooks[/<id>]|/metrics]   the operator's screens
 */
export type Route =
  | { name: "sign-in"; error?: string }
  | { name: "choose-username"; ticket: string; suggested?: string }
  | { name: "home" }
  | { name: "conversation"; id: string; seq?: number; info?: boolean }
  | { name: "search"; q: string }
  | { name: "notifications" }
  | { name: "settings" }
  | { name: "invite"; code: string }
  | { name: "admin"; section: AdminSection; id?: string };

export type AdminSection = "reports" | "bots" | "webhooks" | "metrics";
const ADMIN_SECTIONS: readonly string[] = ["reports", "bots", "webhooks", "metrics"];
/** An invite code: a group id, a dot, random symbols (§22.17); anything else is refused by the engine anyway. */
const INVITE_CODE = /^[A-Za-z0-9_.-]{1,400}$/;
/** A report's or a webhook's id. */
const ITEM_ID = /^[A-Za-z0-9_-]{1,100}$/;

const ID = /^c_[A-Za-z0-9_-]{1,200}$/;

export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, "");
  const [path = "", query = ""] = raw.split("?", 2);
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return "";
    }
  });
  switch (parts[0]) {
    case "sign-in": {
      const error = params.get("error");
      return error ? { name: "sign-in", error } : { name: "sign-in" };
    }
    case "choose-username": {
      const suggested = params.get("suggested");
      return { name: "choose-username", ticket: params.get("ticket") ?? "", ...(suggested ? { suggested } : {}) };
    }
    case "c": {
      const id = parts[1] ?? "";
      if (!ID.test(id)) return { name: "home" };
      const seq = Number(params.get("seq"));
      return { name: "conversation", id, ...(Number.isSafeInteger(seq) && seq > 0 ? { seq } : {}), ...(parts[2] === "info" ? { info: true } : {}) };
    }
    case "search":
      return { name: "search", q: params.get("q") ?? "" };
    case "notifications":
      return { name: "notifications" };
    case "settings":
      return { name: "settings" };
    case "invite": {
      const code = parts[1] ?? "";
      return INVITE_CODE.test(code) ? { name: "invite", code } : { name: "home" };
    }
    case "admin": {
      const section = (ADMIN_SECTIONS.includes(parts[1] ?? "") ? parts[1] : "reports") as AdminSection;
      const id = parts[2];
      return id && ITEM_ID.test(id) && (section === "reports" || section === "webhooks") ? { name: "admin", section, id } : { name: "admin", section };
    }
    default:
      return { name: "home" };
  }
}

export function routeHash(route: Route): string {
  switch (route.name) {
    case "sign-in":
      return route.error ? `#/sign-in?${new URLSearchParams({ error: route.error })}` : "#/sign-in";
    case "choose-username":
      return `#/choose-username?${new URLSearchParams({ ticket: route.ticket, ...(route.suggested ? { suggested: route.suggested } : {}) })}`;
    case "home":
      return "#/";
    case "conversation":
      return `#/c/${encodeURIComponent(route.id)}${route.info ? "/info" : ""}${route.seq ? `?seq=${route.seq}` : ""}`;
    case "search":
      return route.q ? `#/search?${new URLSearchParams({ q: route.q })}` : "#/search";
    case "notifications":
      return "#/notifications";
    case "settings":
      return "#/settings";
    case "invite":
      return `#/invite/${encodeURIComponent(route.code)}`;
    case "admin":
      return `#/admin/${route.section}${route.id ? `/${encodeURIComponent(route.id)}` : ""}`;
  }
}
