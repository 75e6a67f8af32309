/**
 * Helpers for the web app's Chromium tests (test/browser/web-app*.test.ts)
 * and the screenshot script: start the real engine and Debian's Chromium,
 * give each person a browser context of their own, sign in, open a
 * conversation, write. Every page records uncaught errors and
 * Content-Security-Policy violations in `pageErrors`; each test file checks
 * it is empty.
 *
 * To extend: add a step here when two test files need it; keep each one a
 * thing a person does, named as such.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { expect } from "vitest";
import { ParleyApi, type LoginResponse } from "../../client/src/index.ts";
import { Engine, ROOT, type EngineOptions } from "../support/engine.ts";

export const CHROMIUM = "/usr/bin/chromium";
/** Longest wait for anything on a page, unless a step says otherwise. */
export const PAGE_TIMEOUT_MS = 15_000;

export const DESKTOP = { width: 1200, height: 780 };
export const PHONE = { width: 390, height: 780 };

let counter = 0;
/** A username unique to this run: 3–32 of [A-Za-z0-9_]. */
export function uniqueUser(base: string): string {
  return `${base}_${Date.now().toString(36).slice(-5)}${(counter++).toString(36)}`.slice(0, 32);
}

export interface AppEnv {
  engine: Engine;
  browser: Browser;
  pageErrors: string[];
  stop(): Promise<void>;
}

/** Starts the engine (with extra settings) and Chromium. */
export async function startAppEnv(engineOptions: EngineOptions = {}): Promise<AppEnv> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`sh scripts/ensure-chromium.sh\` (npm test does) or \`apt-get install -y chromium\`.`);
  }
  if (!existsSync(join(ROOT, "client/dist/app.js"))) {
    throw new Error("client/dist/app.js is missing: run `npm run build:client` first (npm test does).");
  }
  const [engine, browser] = await Promise.all([
    Engine.start(engineOptions),
    chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
      timeout: 30_000,
    }),
  ]);
  const env: AppEnv = {
    engine,
    browser,
    pageErrors: [],
    async stop() {
      await browser.close().catch(() => undefined);
      await engine.stop();
    },
  };
  return env;
}

export interface PersonOptions extends BrowserContextOptions {
  /** Install Playwright's clock, so the test can move the page's time. */
  clock?: boolean;
  /** Open the app at this host name instead of 127.0.0.1 ("localhost": the RP ID passkeys need). */
  host?: string;
}

/** A person: a browser context and page of their own, on the app's start page. */
export async function newPerson(env: AppEnv, options: PersonOptions = {}): Promise<Page> {
  const { clock, host, ...contextOptions } = options;
  const context: BrowserContext = await env.browser.newContext({ viewport: DESKTOP, locale: "en-GB", timezoneId: "UTC", ...contextOptions });
  if (clock) await context.clock.install();
  const page = await context.newPage();
  watch(env, page);
  const response = await page.goto(`${appUrl(env, host)}/`);
  // The app runs under its policy (client/app/_headers), and works under it.
  expect(response?.headers()["content-security-policy"]).toContain("default-src 'none'");
  return page;
}

/** The app's origin, at 127.0.0.1 or at another name of this machine ("localhost"). */
export function appUrl(env: AppEnv, host = "127.0.0.1"): string {
  return env.engine.url.replace("127.0.0.1", host);
}

/**
 * A fresh access token of the page's session, for a test's own calls as
 * that person. The app keeps its token in memory only (client/app/session.ts),
 * so this refreshes with the session cookie, as the app does — under the
 * app's Web Lock, so it never races the app's own refresh.
 */
export function accessToken(page: Page): Promise<{ token: string; userId: string }> {
  return page.evaluate(async () => {
    const login: { access_token: string; user: { id: string } } = await navigator.locks.request("parley.refresh", async () => {
      const res = await fetch("/v1/auth/refresh", { method: "POST", headers: { "x-parley-session": "cookie" } });
      if (!res.ok) throw new Error(`refresh: ${res.status} ${await res.text()}`);
      return res.json();
    });
    return { token: login.access_token, userId: login.user.id };
  });
}

/** Records uncaught exceptions and CSP violations of a page. */
export function watch(env: AppEnv, page: Page): void {
  page.setDefaultTimeout(PAGE_TIMEOUT_MS);
  // A whole page load (the app's script, styles, icons) from an engine on a busy 2-core machine.
  page.setDefaultNavigationTimeout(2 * PAGE_TIMEOUT_MS);
  page.on("pageerror", (err) => env.pageErrors.push(`${err.name}: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) env.pageErrors.push(`CSP: ${msg.text()}`);
  });
}

/** Signs in with dev login on the sign-in screen. */
export async function signIn(page: Page, username: string): Promise<void> {
  await page.getByTestId("login-view").waitFor();
  await page.getByLabel("Username").fill(username);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByTestId("chat-view").waitFor();
  await expect.poll(() => page.getByTestId("me").textContent()).toBe(username);
}

/** A person who is signed in, on the list. */
export async function signedIn(env: AppEnv, username: string, options: PersonOptions = {}): Promise<Page> {
  const page = await newPerson(env, options);
  await signIn(page, username);
  return page;
}

/** Users made over REST (no page), for the people a test needs only as counterparts. */
export function apiUser(env: AppEnv, username: string): Promise<LoginResponse> {
  return ParleyApi.devLogin(env.engine.url, username);
}

/** Calls the engine's REST API as someone (from Node). */
export async function rest<T = any>(env: AppEnv, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${env.engine.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Opens the conversation with this title from the list. */
export async function openConversation(page: Page, title: string): Promise<void> {
  await page.getByTestId("conversation-item").filter({ hasText: title }).first().click();
  await page.getByTestId("conversation-title").filter({ hasText: title }).waitFor();
  await waitForStatus(page, "connected");
}

/** Starts a direct conversation with a username through "New conversation". */
export async function startDirect(page: Page, username: string): Promise<void> {
  await page.getByTestId("new-conversation").click();
  await page.getByLabel("Find people").fill(username);
  await page.getByTestId("person-result").filter({ hasText: `@${username}` }).click();
  await page.getByTestId("conversation-title").filter({ hasText: username }).waitFor();
  await waitForStatus(page, "connected");
}

export async function waitForStatus(page: Page, status: string, timeout = PAGE_TIMEOUT_MS): Promise<void> {
  await page.waitForFunction((s) => document.querySelector("[data-testid=connection-status]")?.getAttribute("data-status") === s, status, { timeout });
}

/** Writes a message and sends it with Enter. */
export async function type(page: Page, text: string): Promise<void> {
  const input = page.getByTestId("composer-input");
  await input.fill(text);
  await input.press("Enter");
}

/** The confirmed messages on screen, in page order: [seq, body]. */
export function messages(page: Page): Promise<Array<[number, string]>> {
  return page.$$eval("[data-testid=message]:not([data-pending])", (items) =>
    items.map((li) => [Number((li as HTMLElement).dataset.seq), li.querySelector("[data-testid=message-body]")?.textContent ?? ""] as [number, string]),
  );
}

/** Waits until the page shows at least `n` confirmed messages. */
export async function waitForMessages(page: Page, n: number, timeout = PAGE_TIMEOUT_MS): Promise<Array<[number, string]>> {
  await page.waitForFunction((count) => document.querySelectorAll("[data-testid=message]:not([data-pending])").length >= count, n, { timeout });
  return messages(page);
}

/** The message on screen whose body is this text. */
export function messageWith(page: Page, text: string) {
  return page.locator("[data-testid=message]:not([data-pending])").filter({ has: page.getByTestId("message-body").getByText(text, { exact: true }) });
}

/** Opens a message's actions menu and picks an item (by its accessible name). */
export async function messageAction(page: Page, text: string, item: string): Promise<void> {
  const m = messageWith(page, text);
  await m.hover();
  await m.getByRole("button", { name: "Message actions" }).click();
  await m.getByRole("menuitem", { name: item, exact: true }).click();
}

export { ROOT };
