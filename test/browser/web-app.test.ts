/**
 * The web app in headless Chromium (Debian's, driven by playwright-core)
 * against the real engine: two browser contexts are two people. They sign
 * in, one starts a direct conversation, messages arrive on the other side in
 * order, a reload shows the history, and after the engine dies and comes
 * back the pages reconnect by themselves, a message typed during the outage
 * included. The session's token is refreshed before it expires, in place,
 * with the session cookie (which rotates); a refused refresh signs the user
 * out with a message. Screenshots go to test/browser/screenshots/
 * (ignored by git).
 *
 * Every wait is bounded (the page default below, or an explicit timeout).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParleyApi } from "../../client/src/index.ts";
import { ROOT, messages, newPerson, signIn, startAppEnv, startDirect, type, uniqueUser, waitForMessages, waitForStatus, type AppEnv } from "./app-helpers.ts";

const SCREENSHOTS = join(ROOT, "test/browser/screenshots");
/** Longest wait for the pages to come back after the engine restarts (backoff is capped at 15 s). */
const RECONNECT_TIMEOUT_MS = 45_000;
const PAGE_TIMEOUT_MS = 15_000;

let env: AppEnv;

beforeAll(async () => {
  env = await startAppEnv();
});

afterAll(async () => {
  await env?.stop();
});

/** The refresh token of the page's session: in the HttpOnly cookie, which only the browser (and this test) can read. */
async function sessionCookie(page: Page): Promise<string | undefined> {
  return (await page.context().cookies()).find((c) => c.name === "parley_refresh")?.value;
}

describe("the web app in Chromium", () => {
  it("two people chat: sign in, start a direct conversation, see each other's messages in order, history after a reload, and a reconnect after an engine restart", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    mkdirSync(SCREENSHOTS, { recursive: true });
    const [a, b] = await Promise.all([newPerson(env), newPerson(env)]);
    expect(await a.title()).toBe("Parley");
    await a.getByLabel("Username").fill(alice);
    await a.screenshot({ path: join(SCREENSHOTS, "sign-in.png") });
    await Promise.all([signIn(a, alice), signIn(b, bob)]);

    // Alice finds Bob by his name and starts the conversation; the URL names it, so a reload lands there.
    await startDirect(a, bob);
    expect(a.url()).toMatch(/#\/c\/c_d/);
    await type(a, "Hello Bob");
    await type(a, "How are you?");
    expect(await waitForMessages(a, 2)).toEqual([[1, "Hello Bob"], [2, "How are you?"]]);
    // The composer is empty again after Enter.
    expect(await a.getByTestId("composer-input").inputValue()).toBe("");

    // Bob's inbox shows the conversation with two unread; opening it shows both, in order.
    const item = b.locator(`[data-testid=conversation-item]`).filter({ hasText: alice });
    await item.locator("[data-testid=unread-badge]").filter({ hasText: "2" }).waitFor();
    expect(await item.getAttribute("data-unread")).toBe("2");
    expect(await item.textContent()).toMatch(/2 unread$/);
    await b.screenshot({ path: join(SCREENSHOTS, "unread.png") });
    await item.click();
    await b.getByTestId("conversation-title").filter({ hasText: alice }).waitFor();
    expect(await waitForMessages(b, 2)).toEqual([[1, "Hello Bob"], [2, "How are you?"]]);
    await waitForStatus(b, "connected");
    expect(await item.locator("[data-testid=unread-badge]").count()).toBe(0);

    // Bob answers; Alice sees it live. Then a burst from Alice reaches Bob in order.
    await type(b, "Fine, thanks!");
    expect((await waitForMessages(a, 3)).at(-1)).toEqual([3, "Fine, thanks!"]);
    for (let i = 1; i <= 5; i++) await type(a, `burst ${i}`);
    const expected: Array<[number, string]> = [
      [1, "Hello Bob"],
      [2, "How are you?"],
      [3, "Fine, thanks!"],
      ...[1, 2, 3, 4, 5].map((i): [number, string] => [3 + i, `burst ${i}`]),
    ];
    await waitForMessages(b, 8);
    expect(await messages(b)).toEqual(expected);
    expect(await waitForMessages(a, 8)).toEqual(expected);

    // A reload keeps Bob signed in, reopens the conversation and shows the history.
    await b.reload();
    await b.getByTestId("conversation-title").filter({ hasText: alice }).waitFor();
    expect(await waitForMessages(b, 8)).toEqual(expected);
    await waitForStatus(b, "connected");

    // The engine dies. Both pages notice; what Alice writes meanwhile waits as pending.
    await env.engine.kill();
    await Promise.all([waitForStatus(a, "reconnecting"), waitForStatus(b, "reconnecting")]);
    await type(a, "written while the server was down");
    await a.locator("[data-testid=message][data-pending]").filter({ hasText: "written while the server was down" }).waitFor();

    // It comes back on the same state: both reconnect on their own, the pending message goes out once.
    await env.engine.restart();
    await Promise.all([waitForStatus(a, "connected", RECONNECT_TIMEOUT_MS), waitForStatus(b, "connected", RECONNECT_TIMEOUT_MS)]);
    await type(b, "back again");
    const after: Array<[number, string]> = [...expected, [9, "written while the server was down"], [10, "back again"]];
    await waitForMessages(a, 10);
    await waitForMessages(b, 10);
    expect(await messages(a)).toEqual(after);
    expect(await messages(b)).toEqual(after);
    expect(await a.locator("[data-testid=message][data-pending]").count()).toBe(0);

    await a.screenshot({ path: join(SCREENSHOTS, "alice.png") });
    await b.screenshot({ path: join(SCREENSHOTS, "bob.png") });
    expect(env.pageErrors).toEqual([]);
  });

  it("refreshes the token before it expires, in place on both sockets, with the rotating session cookie; a refused refresh signs out with a message", async () => {
    const alice = uniqueUser("alice");
    const bob = await ParleyApi.devLogin(env.engine.url, uniqueUser("bob"));
    const page = await newPerson(env, { clock: true });
    /** The page's sockets, each with the frames the server sent it. */
    const sockets: Array<{ url: string; received: string[] }> = [];
    page.on("websocket", (ws) => {
      const socket = { url: ws.url(), received: [] as string[] };
      sockets.push(socket);
      ws.on("framereceived", (f) => socket.received.push(String(f.payload)));
    });
    const got = (type: string) => sockets.filter((ws) => ws.received.some((f) => f.includes(`"type":"${type}"`))).length;
    /** The app's refresh calls: cookie mode, and no token in the body. */
    const refreshes: Array<{ mode: string | undefined; body: string | null }> = [];
    page.on("request", (req) => {
      if (req.url().endsWith("/v1/auth/refresh")) refreshes.push({ mode: req.headers()["x-parley-session"], body: req.postData() });
    });

    await signIn(page, alice);
    await startDirect(page, bob.user.username);
    const first = await sessionCookie(page);
    expect(first).toMatch(/^rt_/);

    // A reload resumes with the cookie over HTTP; the sockets then start with that token (nothing to refresh in place).
    sockets.length = 0;
    await page.reload();
    await page.getByTestId("conversation-title").filter({ hasText: bob.user.username }).waitFor();
    await waitForStatus(page, "connected");
    await expect.poll(() => got("inbox.snapshot") + got("conversation.joined"), { timeout: PAGE_TIMEOUT_MS }).toBe(2);
    expect(got("auth.refreshed")).toBe(0);
    expect(refreshes).toEqual([{ mode: "cookie", body: null }]);
    const second = await sessionCookie(page);
    expect(second).toMatch(/^rt_/);
    expect(second).not.toBe(first);

    // Tokens are minted with iat/exp in seconds: one refreshed in the second of its login would be the
    // very same string, and the SDK rightly sends no auth.refresh for a token a socket already holds.
    // The server's clock cannot be moved: the page's jumps 14 minutes, past the refresh margin of the
    // 15-minute token.
    await new Promise((r) => setTimeout(r, 1_100));
    await page.clock.fastForward("14:01");
    await expect.poll(() => sessionCookie(page), { timeout: PAGE_TIMEOUT_MS }).not.toBe(second);
    expect(refreshes).toHaveLength(2);
    expect(refreshes[1]).toEqual({ mode: "cookie", body: null });
    // Both sockets took the new token in place: no reconnect, no error.
    await expect.poll(() => got("auth.refreshed"), { timeout: PAGE_TIMEOUT_MS }).toBe(2);
    expect(sockets).toHaveLength(2);
    expect(got("error")).toBe(0);
    await waitForStatus(page, "connected");
    await type(page, "after the refresh");
    expect(await waitForMessages(page, 1)).toEqual([[1, "after the refresh"]]);

    // Someone who stole the cookie spends it. The app's next refresh is then a reuse: the server
    // revokes the session, answers 401 and clears the cookie, and the app signs out, saying why.
    await ParleyApi.refreshSession(env.engine.url, (await sessionCookie(page))!);
    await page.clock.fastForward("15:00");
    await page.getByTestId("login-view").waitFor();
    expect(await page.getByTestId("login-error").textContent()).toBe("Your session has ended; sign in again.");
    expect(await page.getByTestId("chat-view").isHidden()).toBe(true);
    expect(await sessionCookie(page)).toBeUndefined();
    await page.reload();
    await page.getByTestId("login-view").waitFor();
    expect(env.pageErrors).toEqual([]);
  });
});
