/**
 * Signing in to the web app in Chromium, through its screens: passkeys
 * (Chromium's virtual authenticator, the DevTools `WebAuthn` domain), GitHub
 * and Google (a fake provider this file starts on 127.0.0.1,
 * test/support/fake-oauth-provider.ts), the session cookie that keeps the
 * refresh token out of the page's reach, Settings → Security, and axe on
 * the sign-in screens.
 *
 * Passkey pages are opened at http://localhost:<port> (an IP address can
 * never be a WebAuthn RP ID; see passkeys.test.ts). Everything else runs at
 * http://127.0.0.1:<port>, as `npm start` is opened, which checks that
 * Chromium keeps the `Secure` session cookie there too.
 */
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOAuthProvider } from "../support/fake-oauth-provider.ts";
import { PAGE_TIMEOUT_MS, apiUser, appUrl, newPerson, signIn, signedIn, startAppEnv, uniqueUser, watch, type AppEnv } from "./app-helpers.ts";
import { axe } from "./screens.ts";

const COOKIE = "parley_refresh";

let env: AppEnv;
let provider: FakeOAuthProvider;

beforeAll(async () => {
  provider = await FakeOAuthProvider.start();
  env = await startAppEnv({ vars: provider.vars() });
});

afterAll(async () => {
  await env?.stop();
  await provider?.stop();
  expect(env?.pageErrors ?? []).toEqual([]);
});

/** A person whose browser has a platform authenticator (resident keys, user verification), at http://localhost. */
async function withAuthenticator(on: AppEnv = env): Promise<Page> {
  const page = await newPerson(on, { host: "localhost" });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return page;
}

/** The session cookie of the page's context, as the browser keeps it. */
async function sessionCookie(context: BrowserContext) {
  return (await context.cookies()).find((c) => c.name === COOKIE);
}

/** Whether anything a script of the page can read holds `secret`: document.cookie, localStorage, sessionStorage. */
function readableByScripts(page: Page, secret: string): Promise<boolean> {
  return page.evaluate((secret) => {
    const stores = [localStorage, sessionStorage].flatMap((s) => Object.keys(s).map((k) => `${k}=${s.getItem(k)}`));
    return [document.cookie, ...stores].some((text) => text.includes(secret));
  }, secret);
}

async function me(page: Page): Promise<string | null> {
  return page.getByTestId("me").textContent();
}

async function openSecurity(page: Page): Promise<void> {
  await page.goto(`${new URL(page.url()).origin}/#/settings`);
  await page.getByTestId("settings-security").waitFor();
}

async function signOut(page: Page): Promise<void> {
  await openSecurity(page);
  await page.getByTestId("logout").click();
  await page.getByTestId("login-view").waitFor();
}

describe("signing in to the web app", () => {
  it("a passkey account: sign up with a username, the refresh token out of scripts' reach, a reload stays signed in, manage passkeys, sign out, sign in again with the passkey alone", async () => {
    const ada = uniqueUser("ada");
    const page = await withAuthenticator();
    await page.getByLabel("Username").fill(ada);
    const verified = page.waitForResponse((r) => r.url().endsWith("/v1/auth/passkeys/register/verify"));
    await page.getByRole("button", { name: "Create an account with a passkey" }).click();
    const answer = await verified;
    expect(answer.request().headers()["x-parley-session"]).toBe("cookie");
    expect(Object.keys(await answer.json()).sort()).toEqual(["access_token", "expires_at", "user"]);
    await page.getByTestId("chat-view").waitFor();
    await expect.poll(() => me(page)).toBe(ada);

    // The refresh token lives in the HttpOnly cookie only.
    const cookie = (await sessionCookie(page.context()))!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/v1/auth" });
    expect(cookie.value).toMatch(/^rt_/);
    expect(await readableByScripts(page, cookie.value)).toBe(false);
    expect(await page.evaluate(() => document.cookie)).not.toContain(COOKIE);

    // A reload resumes the session with the cookie (which rotates).
    const refreshed = page.waitForResponse((r) => r.url().endsWith("/v1/auth/refresh"));
    await page.reload();
    expect((await refreshed).status()).toBe(200);
    await page.getByTestId("chat-view").waitFor();
    await expect.poll(() => me(page)).toBe(ada);
    const rotated = (await sessionCookie(page.context()))!;
    expect(rotated.value).not.toBe(cookie.value);
    expect(await readableByScripts(page, rotated.value)).toBe(false);

    // Settings → Security: the passkey, renamed; deleting the only way to sign in is refused, and said why.
    await openSecurity(page);
    const passkeys = page.getByTestId("security-passkeys");
    await expect.poll(() => passkeys.getByTestId("passkey-name").allTextContents()).toEqual(["Passkey"]);
    await passkeys.getByRole("button", { name: "Rename passkey Passkey" }).click();
    await passkeys.getByLabel("New name for Passkey").fill("Work <laptop>");
    await passkeys.getByLabel("New name for Passkey").press("Enter");
    await expect.poll(() => passkeys.getByTestId("passkey-name").allTextContents()).toEqual(["Work <laptop>"]);
    await passkeys.getByRole("button", { name: "Delete passkey Work <laptop>" }).click();
    await page.getByTestId("confirm-dialog").getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => page.getByTestId("passkeys-status").textContent()).toMatch(/last way to sign in/);
    expect(await passkeys.getByTestId("passkey").count()).toBe(1);
    // The same authenticator cannot hold two passkeys of one account: adding one says so, and adds none.
    await passkeys.getByTestId("add-passkey").click();
    await expect.poll(() => page.getByTestId("passkeys-status").textContent()).toMatch(/No passkey was added \(InvalidStateError\)/);
    expect(await passkeys.getByTestId("passkey").count()).toBe(1);

    // Sign out ends the session and clears the cookie; a reload stays signed out.
    const loggedOut = page.waitForResponse((r) => r.url().endsWith("/v1/auth/logout"));
    await page.getByTestId("logout").click();
    expect((await loggedOut).status()).toBe(204);
    await page.getByTestId("login-view").waitFor();
    expect(await sessionCookie(page.context())).toBeUndefined();
    await page.reload();
    await page.getByTestId("login-view").waitFor();
    await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
    expect(await page.getByTestId("chat-view").count()).toBe(0);

    // Signing in again needs no username: the authenticator offers the passkey.
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await page.getByTestId("chat-view").waitFor();
    await expect.poll(() => me(page)).toBe(ada);
    await page.context().close();
  });

  it("a second device adds a passkey from Settings and signs in with it", async () => {
    const bea = uniqueUser("bea");
    const phone = await withAuthenticator();
    await phone.getByLabel("Username").fill(bea);
    await phone.getByRole("button", { name: "Create an account with a passkey" }).click();
    await expect.poll(() => me(phone)).toBe(bea);

    // The laptop signs in another way first (dev login), adds its own passkey, signs out and back in with it.
    const laptop = await withAuthenticator();
    await signIn(laptop, bea);
    await openSecurity(laptop);
    const passkeys = laptop.getByTestId("security-passkeys");
    await passkeys.getByTestId("add-passkey").click();
    await expect.poll(() => laptop.getByTestId("passkeys-status").textContent()).toBe("Passkey added.");
    await expect.poll(() => passkeys.getByTestId("passkey").count()).toBe(2);
    await signOut(laptop);
    await laptop.getByRole("button", { name: "Sign in with a passkey" }).click();
    await expect.poll(() => me(laptop)).toBe(bea);
    // Now either passkey can go: the other one remains.
    await openSecurity(laptop);
    await passkeys.getByRole("button", { name: "Delete passkey Passkey" }).first().click();
    await laptop.getByTestId("confirm-dialog").getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => laptop.getByTestId("passkeys-status").textContent()).toBe("Passkey deleted.");
    await expect.poll(() => passkeys.getByTestId("passkey").count()).toBe(1);
    await phone.context().close();
    await laptop.context().close();
  });

  it("GitHub: a new identity chooses its username, then signs in directly; Google is linked from Settings, GitHub unlinked, the last one refused", async () => {
    const login = uniqueUser("octo");
    provider.signInAs("github", { id: String(Date.now()), login });
    const page = await newPerson(env, { host: "localhost" });
    await page.getByRole("link", { name: "Continue with GitHub" }).click();
    await page.getByTestId("choose-username-view").waitFor();
    expect(page.url()).toMatch(/#\/choose-username\?ticket=ot_/);
    // The provider's login is offered; a taken name is refused with the ticket still good.
    const taken = uniqueUser("taken");
    await apiUser(env, taken);
    expect(await page.getByRole("textbox", { name: "Username" }).inputValue()).toBe(login);
    await page.getByRole("textbox", { name: "Username" }).fill(taken);
    await page.getByRole("button", { name: "Continue" }).click();
    await expect.poll(() => page.getByTestId("choose-username-view").getByRole("alert").textContent()).toBe(`${taken} is taken; choose another.`);
    await page.getByRole("textbox", { name: "Username" }).fill(login);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByTestId("chat-view").waitFor();
    await expect.poll(() => me(page)).toBe(login);
    expect((await sessionCookie(page.context()))?.httpOnly).toBe(true);

    // Signed out, "Continue with GitHub" lands straight in the app: the callback set the cookie.
    await signOut(page);
    await page.getByRole("link", { name: "Continue with GitHub" }).click();
    await page.getByTestId("chat-view").waitFor();
    await expect.poll(() => me(page)).toBe(login);
    expect(await page.getByTestId("choose-username-view").count()).toBe(0);

    // Link Google from Settings → Security: the flow comes back to the settings, linked.
    const email = `${login}@example.com`;
    provider.signInAs("google", { id: `g${Date.now()}`, email });
    await openSecurity(page);
    const accounts = page.getByTestId("security-linked-accounts");
    await accounts.getByRole("link", { name: "Link Google" }).click();
    await page.getByTestId("settings-security").waitFor();
    expect(page.url()).toMatch(/#\/settings$/);
    await expect.poll(() => accounts.locator("[data-linked=true]").evaluateAll((els) => els.map((e) => e.getAttribute("data-provider")))).toEqual(["github", "google"]);
    await expect.poll(() => accounts.locator("[data-provider=google]").textContent()).toContain(email);

    // Unlink GitHub (Google remains); Google is then the last way to sign in and stays.
    await accounts.getByRole("button", { name: "Unlink GitHub" }).click();
    await page.getByTestId("confirm-dialog").getByRole("button", { name: "Unlink" }).click();
    await expect.poll(() => accounts.locator("[data-linked=true]").count()).toBe(1);
    await accounts.getByRole("button", { name: "Unlink Google" }).click();
    await page.getByTestId("confirm-dialog").getByRole("button", { name: "Unlink" }).click();
    await expect.poll(() => page.getByTestId("identities-status").textContent()).toMatch(/last way to sign in/);
    expect(await accounts.locator("[data-linked=true]").count()).toBe(1);

    // Google signs this person in; the GitHub account, unlinked, would now be a new identity.
    await signOut(page);
    await page.getByRole("link", { name: "Continue with Google" }).click();
    await expect.poll(() => me(page)).toBe(login);
    await signOut(page);
    await page.getByRole("link", { name: "Continue with GitHub" }).click();
    await page.getByTestId("choose-username-view").waitFor();
    await page.context().close();
  });

  it("shows the provider's failure from #/sign-in?error= as text, and dev login only where the engine offers it", async () => {
    const page = await newPerson(env);
    // A browser that never signed in asks for no refresh (it would only spend the address's sign-in budget).
    const refreshes: string[] = [];
    page.on("request", (req) => void (req.url().endsWith("/v1/auth/refresh") && refreshes.push(req.url())));
    await page.goto(`${env.engine.url}/#/sign-in?error=identity_linked&provider=github`);
    await page.reload();
    await expect.poll(() => page.getByTestId("login-error").textContent()).toBe("That account is already linked to another Parley user; sign in with it instead.");
    await page.goto(`${env.engine.url}/#/sign-in?error=%3Cimg%20src%3Dx%3E`);
    await page.reload();
    await expect.poll(() => page.getByTestId("login-error").textContent()).toBe("The sign-in did not work; try again.");
    expect(await page.locator("img").count()).toBe(0);
    // This engine has dev login, GitHub and Google; on 127.0.0.1 no passkeys (once the page has read the methods).
    await page.getByRole("link", { name: "Continue with Google" }).waitFor();
    expect(await page.getByRole("button", { name: "Sign in", exact: true }).count()).toBe(1);
    expect(await page.getByRole("link", { name: /^Continue with / }).allTextContents()).toEqual(["Continue with GitHub", "Continue with Google"]);
    expect(await page.getByRole("button", { name: "Sign in with a passkey" }).count()).toBe(0);
    expect(refreshes).toEqual([]);
    await page.context().close();

    const prod = await startAppEnv({ vars: { DEV_LOGIN: "false", ...provider.vars() } });
    try {
      const p = await withAuthenticator(prod);
      await p.getByRole("link", { name: "Continue with GitHub" }).waitFor();
      expect(await p.getByRole("button", { name: "Sign in", exact: true }).count()).toBe(0);
      expect(await p.getByRole("button", { name: "Sign in with a passkey" }).count()).toBe(1);
      // Without dev login, Enter in the username creates the account with a passkey.
      const eve = uniqueUser("eve");
      await p.getByLabel("Username").fill(eve);
      await p.getByLabel("Username").press("Enter");
      await expect.poll(() => me(p)).toBe(eve);
      expect(prod.pageErrors).toEqual([]);
    } finally {
      await prod.stop();
    }
  });

  it("on http://127.0.0.1 (npm start) Chromium keeps the Secure cookie: a reload stays signed in, and the token is not readable", async () => {
    const cy = uniqueUser("cy");
    const page = await signedIn(env, cy);
    const cookie = (await sessionCookie(page.context()))!;
    expect(cookie).toMatchObject({ domain: "127.0.0.1", httpOnly: true, secure: true, sameSite: "Strict" });
    expect(await readableByScripts(page, cookie.value)).toBe(false);
    await page.reload();
    await page.getByTestId("chat-view").waitFor();
    await expect.poll(() => me(page)).toBe(cy);
    // A new tab of the same browser is signed in too; the two tabs' refreshes never race (one cookie).
    const tab = await page.context().newPage();
    watch(env, tab);
    await tab.goto(`${env.engine.url}/`);
    await expect.poll(() => me(tab)).toBe(cy);
    await Promise.all([page.reload(), tab.reload()]);
    await expect.poll(() => me(page)).toBe(cy);
    await expect.poll(() => me(tab)).toBe(cy);
    await page.context().close();
  });

  it("sessions: three devices of one person; one signs out a single other device, then all the others, which are back at sign-in at once", async () => {
    const dee = uniqueUser("dee");
    const [desk, phone, tablet] = [await signedIn(env, dee), await signedIn(env, dee), await signedIn(env, dee)];
    await openSecurity(desk);
    const sessions = desk.getByTestId("security-sessions");
    await expect.poll(() => sessions.getByTestId("session").count()).toBe(3);
    expect(await sessions.locator("[data-current=true]").count()).toBe(1);
    expect(await sessions.locator("[data-current=true]").textContent()).toContain("(this device)");
    expect(await sessions.locator("[data-current=true]").textContent()).toContain("Chrome on Linux");

    // Sign out one other device (the most recently used other one: the tablet).
    await sessions.getByRole("button", { name: /^Sign out Chrome on Linux/ }).first().click();
    await expect.poll(() => desk.getByTestId("sessions-status").textContent()).toBe("That device is signed out.");
    await expect.poll(() => sessions.getByTestId("session").count()).toBe(2);
    const out = [];
    for (const p of [phone, tablet]) {
      await p.reload();
      await Promise.race([p.getByTestId("login-view").waitFor(), p.getByTestId("chat-view").waitFor()]);
      out.push(await p.getByTestId("login-view").count());
    }
    expect(out.sort()).toEqual([0, 1]);
    const stillIn = out[0] === 0 ? phone : tablet;

    // Then every other device.
    await sessions.getByRole("button", { name: "Sign out all other devices" }).click();
    await expect.poll(() => desk.getByTestId("sessions-status").textContent()).toBe("Signed out 1 other device.");
    await expect.poll(() => sessions.getByTestId("session").count()).toBe(1);
    // At once, with no reload: its sockets close (4101), its refresh is refused, and it says why.
    await stillIn.getByTestId("login-view").waitFor();
    expect(await stillIn.getByTestId("login-error").textContent()).toBe("Your session has ended; sign in again.");
    // The desk itself is still signed in, across a reload.
    await desk.reload();
    await expect.poll(() => me(desk)).toBe(dee);
    for (const p of [desk, phone, tablet]) await p.context().close();
  });
});

describe("the sign-in screens' accessibility", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    it(`axe finds no serious or critical violation on sign-in, choose-username and Settings → Security (${colorScheme})`, async () => {
      // axe is injected as a script, which the app's CSP forbids: this context alone bypasses it.
      const context = await env.browser.newContext({ colorScheme, bypassCSP: true, locale: "en-GB", timezoneId: "UTC" });
      const page = await context.newPage();
      watch(env, page);
      const origin = appUrl(env, "localhost");
      const cdp = await context.newCDPSession(page);
      await cdp.send("WebAuthn.enable", { enableUI: false });
      await cdp.send("WebAuthn.addVirtualAuthenticator", {
        options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
      });
      const found: Record<string, string[]> = {};

      await page.goto(`${origin}/#/sign-in?error=access_denied`);
      await page.getByRole("button", { name: "Sign in with a passkey" }).waitFor();
      found["sign-in"] = await axe(page);
      // Keyboard: Tab from the username reaches every way to sign in.
      await page.getByLabel("Username").focus();
      const reached: string[] = [];
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press("Tab");
        reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ""));
      }
      expect(reached).toEqual(expect.arrayContaining(["Sign in", "Create an account with a passkey", "Sign in with a passkey", "Continue with GitHub", "Continue with Google"]));

      await page.goto(`${origin}/#/choose-username?ticket=ot_x.y&suggested=new_person`);
      await page.getByTestId("choose-username-view").waitFor();
      found["choose-username"] = await axe(page);

      await page.goto(`${origin}/#/sign-in`);
      const name = uniqueUser("axe");
      await page.getByLabel("Username").fill(name);
      await page.getByRole("button", { name: "Create an account with a passkey" }).click();
      await expect.poll(() => me(page)).toBe(name);
      await page.goto(`${origin}/#/settings`);
      await page.getByTestId("security-sessions").getByTestId("session").first().waitFor({ timeout: PAGE_TIMEOUT_MS });
      await page.getByTestId("security-linked-accounts").waitFor();
      await page.getByTestId("security-passkeys").getByRole("button", { name: "Rename passkey Passkey" }).click();
      found.security = await axe(page, "[data-testid=settings-security]");

      await context.close();
      expect(found).toEqual({ "sign-in": [], "choose-username": [], security: [] });
    });
  }
});
