/**
 * The rest of the web app in Chromium against the real engine: settings
 * (profile, privacy; the sessions and passkeys sections stay hidden while
 * the engine has no such routes), the connection banner with messages
 * queued while the browser is offline, a phone-sized screen, a path done
 * with the keyboard alone, and dark mode.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PHONE, accessToken, messageWith, messages, openConversation, signIn, signedIn, newPerson, startAppEnv, startDirect, type, uniqueUser, waitForMessages, waitForStatus, type AppEnv } from "./app-helpers.ts";

let env: AppEnv;

beforeAll(async () => {
  env = await startAppEnv();
});

afterAll(async () => {
  await env?.stop();
});

async function me(page: Page): Promise<{ user: { display_name?: string }; settings: { notifications: string; group_adds: string; share_presence?: boolean; share_read_receipts?: boolean; share_typing?: boolean } }> {
  const { token } = await accessToken(page);
  return page.evaluate(async (token) => (await fetch("/v1/me", { headers: { authorization: `Bearer ${token}` } })).json(), token);
}

/** Whether the focused element shows a visible focus ring. */
function focusVisible(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return false;
    const style = getComputedStyle(el);
    return el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  });
}

/** Presses Tab until the focused element matches, at most `max` times. */
async function tabTo(page: Page, accessibleName: RegExp, max = 40, key = "Tab"): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    const name = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? (el.getAttribute("aria-label") ?? el.textContent ?? "").trim() : "";
    });
    if (accessibleName.test(name)) return;
  }
  throw new Error(`no element named ${accessibleName} within ${max} presses of ${key}`);
}

describe("settings, offline, phone, keyboard and dark mode", () => {
  it("saves the profile and privacy settings; others see the display name; Security lists this device", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const [a, b] = await Promise.all([signedIn(env, alice), signedIn(env, bob)]);
    await startDirect(b, alice);
    await type(b, "hello");

    await a.getByRole("link", { name: /^Settings/ }).click();
    await a.getByTestId("settings-view").waitFor();
    await a.getByLabel("Display name").fill("Alice Liddell");
    await a.getByRole("button", { name: "Save profile" }).click();
    await expect.poll(() => a.getByTestId("profile-status").textContent()).toBe("Saved.");
    expect((await me(a)).user.display_name).toBe("Alice Liddell");
    // A bad avatar address is refused with the engine's reason.
    await a.getByLabel(/Avatar image address/).fill("http://not-https.example/a.png");
    await a.getByRole("button", { name: "Save profile" }).click();
    await expect.poll(() => a.getByTestId("profile-status").textContent()).toMatch(/avatar_url/);

    await a.getByLabel("Notify me of").selectOption("mentions");
    await expect.poll(() => a.getByTestId("privacy-status").textContent()).toBe("Saved.");
    await a.getByLabel("Who may add me to groups").selectOption("contacts");
    await expect.poll(async () => (await me(a)).settings).toEqual({
      notifications: "mentions", group_adds: "contacts", share_presence: true, share_read_receipts: true, share_typing: true,
    });
    // Typing, read receipts and presence are settings the engine enforces (protocol §22.12).
    await a.getByLabel("Show others when I am typing").uncheck();
    await expect.poll(async () => (await me(a)).settings.share_typing).toBe(false);
    await a.getByLabel(/Send read receipts/).uncheck();
    await expect.poll(async () => (await me(a)).settings.share_read_receipts).toBe(false);
    await a.getByLabel(/Show others when I am online/).uncheck();
    await expect.poll(async () => (await me(a)).settings.share_presence).toBe(false);
    // Security (web-app-signin.test.ts tests it): this device's session, and no passkey yet for a dev-login user.
    await expect.poll(() => a.getByTestId("security-sessions").locator("[data-current=true]").count()).toBe(1);
    expect(await a.getByTestId("security-passkeys").textContent()).toContain("No passkeys yet.");
    // After a reload the settings show what was saved.
    await a.reload();
    await expect.poll(() => a.getByLabel("Notify me of").inputValue()).toBe("mentions");
    expect(await a.getByLabel("Display name").inputValue()).toBe("Alice Liddell");

    // Bob sees Alice by her display name.
    await b.reload();
    await b.getByTestId("conversation-title").filter({ hasText: "Alice Liddell" }).waitFor();
    expect(env.pageErrors).toEqual([]);
  });

  it("queues messages while the browser is offline, says so in a banner, and sends them once it is back", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const [a, b] = await Promise.all([signedIn(env, alice), signedIn(env, bob)]);
    await startDirect(a, bob);
    await type(a, "before");
    await openConversation(b, alice);
    await waitForMessages(b, 1);

    await a.context().setOffline(true);
    const banner = a.getByTestId("connection-banner");
    await expect.poll(() => banner.getAttribute("data-kind")).toBe("offline");
    await type(a, "one");
    await type(a, "two");
    await expect.poll(() => banner.textContent()).toBe("You are offline. 2 messages waiting to be sent.");
    expect(await a.locator("[data-testid=message][data-pending]").count()).toBe(2);
    expect(await messages(b)).toEqual([[1, "before"]]);

    await a.context().setOffline(false);
    await waitForStatus(a, "connected", 45_000);
    await expect.poll(() => banner.isHidden()).toBe(true);
    await waitForMessages(b, 3);
    expect(await messages(b)).toEqual([[1, "before"], [2, "one"], [3, "two"]]);
    await expect.poll(() => a.locator("[data-testid=message][data-pending]").count()).toBe(0);
    expect(env.pageErrors).toEqual([]);
  });

  it("on a phone-sized screen, shows the list and the conversation as separate views", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const b = await signedIn(env, bob);
    const a = await signedIn(env, alice, { viewport: PHONE, hasTouch: true, isMobile: true });
    await startDirect(b, alice);
    await type(b, "hi from a laptop");

    const list = a.getByRole("complementary", { name: "Conversations" });
    await a.getByTestId("conversation-item").filter({ hasText: bob }).waitFor();
    expect(await a.locator("main").isVisible()).toBe(false);
    await a.getByTestId("conversation-item").filter({ hasText: bob }).click();
    await messageWith(a, "hi from a laptop").waitFor();
    expect(await list.isVisible()).toBe(false);
    // Nothing is wider than the screen.
    expect(await a.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await type(a, "hi from a phone");
    await messageWith(b, "hi from a phone").waitFor();
    await a.getByRole("link", { name: "Back to conversations" }).click();
    await list.waitFor();
    expect(await a.locator("main").isVisible()).toBe(false);
    expect(env.pageErrors).toEqual([]);
  });

  it("works with the keyboard alone, with a visible focus: sign in, start a conversation, send, react, close dialogs with Escape", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const b = await signedIn(env, bob);
    const a = await newPerson(env);
    // The username field has the focus; Enter signs in.
    await a.getByTestId("login-view").waitFor();
    await expect.poll(() => a.evaluate(() => document.activeElement?.id)).toBe("login-username");
    await a.keyboard.type(alice);
    await a.keyboard.press("Enter");
    await a.getByTestId("chat-view").waitFor();

    await tabTo(a, /^New conversation$/);
    expect(await focusVisible(a)).toBe(true);
    await a.keyboard.press("Enter");
    const dialog = a.getByTestId("new-conversation-dialog");
    await dialog.waitFor();
    // Escape closes it and gives the focus back.
    await a.keyboard.press("Escape");
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(() => a.evaluate(() => document.activeElement?.textContent)).toBe("New conversation");
    await a.keyboard.press("Enter");
    await expect.poll(() => a.evaluate(() => document.activeElement?.id)).toBe("find-people");
    await a.keyboard.type(bob);
    await a.getByTestId("person-result").first().waitFor();
    await a.keyboard.press("Enter");
    await a.getByTestId("conversation-title").filter({ hasText: bob }).waitFor();
    await waitForStatus(a, "connected");
    // The composer has the focus: Shift+Enter adds a line, Enter sends.
    await expect.poll(() => a.evaluate(() => document.activeElement?.id)).toBe("composer-input");
    await a.keyboard.type("line one");
    await a.keyboard.press("Shift+Enter");
    await a.keyboard.type("line two");
    await a.keyboard.press("Enter");
    await openConversation(b, alice);
    await messageWith(b, "line one\nline two").waitFor();

    // React with the keyboard: back from the composer to the message's actions, Enter opens the menu.
    await tabTo(a, /^Message actions$/, 6, "Shift+Tab");
    expect(await focusVisible(a)).toBe(true);
    await a.keyboard.press("Enter");
    await expect.poll(() => a.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("React with 👍");
    await a.keyboard.press("ArrowRight");
    await expect.poll(() => a.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("React with ❤️");
    await a.keyboard.press("Enter");
    await expect.poll(() => messageWith(b, "line one\nline two").getByTestId("reaction").textContent()).toBe("❤️ 1");
    // Escape closes a menu and gives the focus back to its button.
    await a.keyboard.press("Enter");
    await a.keyboard.press("Escape");
    await expect.poll(() => a.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Message actions");
    expect(env.pageErrors).toEqual([]);
  });

  it("follows the system's dark mode, and the toggle overrides it across reloads", async () => {
    const alice = uniqueUser("alice");
    const a = await newPerson(env, { colorScheme: "dark" });
    const background = () => a.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await expect.poll(() => a.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    expect(await background()).toBe("rgb(15, 17, 21)");
    await signIn(a, alice);
    const toggle = a.getByTestId("theme-toggle");
    expect(await toggle.getAttribute("aria-pressed")).toBe("true");
    await toggle.click();
    await expect.poll(() => a.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
    expect(await background()).toBe("rgb(244, 245, 247)");
    await a.reload();
    await a.getByTestId("chat-view").waitFor();
    expect(await a.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
    // Back to following the system, from the settings.
    await a.getByRole("link", { name: /^Settings/ }).click();
    await a.getByRole("radio", { name: "As the system" }).check();
    await expect.poll(() => a.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    expect(env.pageErrors).toEqual([]);
  });
});
