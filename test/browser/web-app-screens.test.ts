/**
 * Every main screen of the web app, on a desktop and a phone, light and
 * dark: axe-core (injected from node_modules) must find no serious or
 * critical accessibility violation on any of them, and each is saved as a
 * screenshot — in test/browser/screenshots/ (ignored by git), or, with
 * PARLEY_SCREENSHOTS=docs/screenshots (`npm run screenshots`), where the
 * README shows them.
 *
 * axe is injected as a script, which the app's Content-Security-Policy
 * forbids: these contexts alone bypass the CSP (`bypassCSP`); every other
 * browser test runs under it.
 */
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiUser, messageWith, rest, signIn, startAppEnv, watch, waitForStatus, type AppEnv } from "./app-helpers.ts";
import { SCREENSHOTS, VARIANTS, checkScreen, type Variant } from "./screens.ts";

/** The screens the README shows: only these go to PARLEY_SCREENSHOTS (all of them to the ignored folder). */
const DOC_SCREENS = new Set(["sign-in", "list", "conversation", "group-settings", "search", "settings"]);

let env: AppEnv;
let groupId = "";
let directId = "";

/** A small PNG drawn in the page (a gradient), for the image attachment. */
async function picture(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const canvas = new OffscreenCanvas(240, 150);
    const ctx = canvas.getContext("2d")!;
    const g = ctx.createLinearGradient(0, 0, 240, 150);
    g.addColorStop(0, "#4a90d9");
    g.addColorStop(1, "#9b59b6");
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 240, 150);
    ctx.fillStyle = "#ffffff";
    ctx.beginPath();
    ctx.arc(180, 45, 22, 0, Math.PI * 2);
    ctx.fill();
    const blob = await canvas.convertToBlob({ type: "image/png" });
    return [...new Uint8Array(await blob.arrayBuffer())];
  });
}

beforeAll(async () => {
  env = await startAppEnv();
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A fresh engine: plain names read well in the screenshots.
  const [alice, bob, carol] = await Promise.all(["alice", "bob", "carol"].map((n) => apiUser(env, n)));
  await rest(env, alice!.access_token, "PATCH", "/v1/me", { display_name: "Alice Liddell" });
  await rest(env, bob!.access_token, "PATCH", "/v1/me", { display_name: "Bob Stone" });
  await rest(env, carol!.access_token, "PATCH", "/v1/me", { display_name: "Carol Diaz" });
  const { conversation: group } = await rest(env, bob!.access_token, "POST", "/v1/conversations", { kind: "group", title: "Design review", members: ["alice", "carol"] });
  groupId = group.id;
  const say = (who: { access_token: string }, body: string, extra: object = {}) =>
    rest(env, who.access_token, "POST", `/v1/conversations/${groupId}/messages`, { client_msg_id: `k${Math.random().toString(36).slice(2)}`, body, ...extra });
  await say(bob!, "Morning! The new onboarding mockups are up.");
  await say(carol!, "Nice. The colour contrast on the buttons looks much better.");
  await say(alice!, "Agreed. Can we keep the search field where it was?");
  await say(bob!, "@alice yes, it stays. Here is the header with it:", {});
  // An image, uploaded by Bob and sent with a message.
  const page = await env.browser.newPage();
  const bytes = Buffer.from(await picture(page));
  await page.close();
  const up = await fetch(`${env.engine.url}/v1/conversations/${groupId}/attachments?name=header.png`, {
    method: "POST",
    headers: { authorization: `Bearer ${bob!.access_token}`, "content-type": "image/png" },
    body: bytes,
  }).then((r) => r.json());
  await say(bob!, "header.png", { attachments: [up.attachment.id] });
  await say(carol!, "Looks great. Shipping it today?", { reply_to_seq: 5 });
  await rest(env, alice!.access_token, "PUT", `/v1/conversations/${groupId}/messages/6/reactions/${encodeURIComponent("🎉")}`);
  await rest(env, bob!.access_token, "PUT", `/v1/conversations/${groupId}/messages/6/reactions/${encodeURIComponent("🎉")}`);
  const { conversation: direct } = await rest(env, carol!.access_token, "POST", "/v1/conversations", { kind: "direct", with: "alice" });
  directId = direct.id;
  await rest(env, carol!.access_token, "POST", `/v1/conversations/${directId}/messages`, { client_msg_id: "d1", body: "Lunch at 1?" });
});

afterAll(async () => {
  await env?.stop();
});

/** One look of a screen: its violations and (see screens.ts) its screenshot. */
function check(page: Page, variant: Variant, screen: string, found: Record<string, string[]>): Promise<void> {
  return checkScreen(page, variant, screen, found, DOC_SCREENS);
}

describe("the web app's screens", () => {
  for (const variant of VARIANTS) {
    it(`have no serious or critical accessibility violation (${variant.name})`, async () => {
      const context = await env.browser.newContext({ viewport: variant.viewport, colorScheme: variant.colorScheme, bypassCSP: true, locale: "en-GB", timezoneId: "UTC", ...(variant.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 1 } : {}) });
      const page = await context.newPage();
      watch(env, page);
      await page.goto(`${env.engine.url}/`);
      const found: Record<string, string[]> = {};

      await page.getByTestId("login-view").waitFor();
      await page.getByLabel("Username").fill("alice");
      await check(page, variant, "sign-in", found);
      await signIn(page, "alice");
      await page.getByTestId("conversation-item").filter({ hasText: "Design review" }).waitFor();
      await page.getByTestId("conversation-item").filter({ has: page.getByTestId("conversation-item-title").getByText("Carol Diaz", { exact: true }) }).waitFor();
      if (variant.phone) await check(page, variant, "list", found);

      await page.goto(`${env.engine.url}/#/c/${groupId}`);
      await waitForStatus(page, "connected");
      await messageWith(page, "header.png").getByTestId("attachment-image").waitFor();
      await page.getByTestId("composer-input").fill("Yes — after the review at 3");
      await check(page, variant, "conversation", found);

      await page.goto(`${env.engine.url}/#/c/${groupId}/info`);
      await page.getByTestId("conversation-info").getByTestId("member").nth(2).waitFor();
      await check(page, variant, "group-settings", found);
      await page.keyboard.press("Escape");

      await page.getByRole("button", { name: "Message actions" }).last().click();
      await check(page, variant, "message-actions", found);
      await page.keyboard.press("Escape");

      await page.goto(`${env.engine.url}/#/search?q=contrast`);
      await page.getByTestId("search-view").getByTestId("search-result").first().waitFor();
      await check(page, variant, "search", found);

      await page.goto(`${env.engine.url}/#/notifications`);
      await page.getByTestId("notification").first().waitFor();
      await check(page, variant, "notifications", found);

      await page.goto(`${env.engine.url}/#/settings`);
      await page.getByLabel("Display name").waitFor();
      await check(page, variant, "settings", found);

      await page.goto(`${env.engine.url}/#/`);
      await page.getByTestId("new-conversation").click();
      await page.getByLabel("Find people").fill("bo");
      await page.getByTestId("person-result").first().waitFor();
      await check(page, variant, "new-conversation", found);

      await context.close();
      expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
      expect(env.pageErrors).toEqual([]);
    });
  }
});
