/**
 * State of the page that is not about chat: the route (the URL's hash), the
 * theme, passing notices, and the one dialog that asks for confirmation.
 */
import { signal } from "@preact/signals";
import { parseRoute, routeHash, type Route } from "./route.ts";

export const route = signal<Route>(parseRoute(location.hash));

window.addEventListener("hashchange", () => (route.value = parseRoute(location.hash)));

/** Moves to a screen (a new history entry, so Back works). `replace`: without one. */
export function go(next: Route, replace = false): void {
  const hash = routeHash(next);
  if (location.hash === hash) {
    route.value = parseRoute(hash);
    return;
  }
  if (replace) {
    history.replaceState(null, "", hash);
    route.value = parseRoute(hash);
  } else {
    location.hash = hash;
  }
}

export type Theme = "system" | "light" | "dark";
const THEME_KEY = "parley.theme";

function storedTheme(): Theme {
  const t = localStorage.getItem(THEME_KEY);
  return t === "light" || t === "dark" ? t : "system";
}

export const theme = signal<Theme>(storedTheme());
const darkQuery = window.matchMedia("(prefers-color-scheme: dark)");
export const systemDark = signal(darkQuery.matches);
darkQuery.addEventListener("change", () => (systemDark.value = darkQuery.matches));

/** Whether the page is dark now (the toggle, or the system's choice). */
export function isDark(): boolean {
  return theme.value === "dark" || (theme.value === "system" && systemDark.value);
}

export function setTheme(next: Theme): void {
  theme.value = next;
  if (next === "system") localStorage.removeItem(THEME_KEY);
  else localStorage.setItem(THEME_KEY, next);
  applyTheme();
}

/** The theme is an attribute of <html>, read by the stylesheet (no inline style: the CSP has none). */
export function applyTheme(): void {
  document.documentElement.dataset.theme = isDark() ? "dark" : "light";
  document.querySelector('meta[name="color-scheme"]')?.setAttribute("content", isDark() ? "dark" : "light");
}
darkQuery.addEventListener("change", applyTheme);

/** A passing message for the person (errors of actions), shown in a live region. */
export const notices = signal<Array<{ id: number; text: string }>>([]);
let noticeId = 0;

export function notice(text: string): void {
  const id = ++noticeId;
  notices.value = [...notices.value.slice(-2), { id, text }];
  setTimeout(() => (notices.value = notices.value.filter((n) => n.id !== id)), 8_000);
}

export function dismissNotice(id: number): void {
  notices.value = notices.value.filter((n) => n.id !== id);
}

/** The confirmation dialog: a question, and what to do on yes. */
export interface Confirmation {
  title: string;
  text: string;
  confirm: string;
  danger?: boolean;
  onConfirm: () => void | Promise<void>;
}
export const confirmation = signal<Confirmation | undefined>(undefined);

export function askConfirm(c: Confirmation): void {
  confirmation.value = c;
}

/** A narrow screen shows the list and the conversation as separate views. */
const narrowQuery = window.matchMedia("(max-width: 700px)");
export const narrow = signal(narrowQuery.matches);
narrowQuery.addEventListener("change", () => (narrow.value = narrowQuery.matches));
