/**
 * The screens of issue 11 — the invite join screen, a group's invite links,
 * a conversation with a bot, the push settings, and every operator screen —
 * on a desktop and a phone, light and dark: axe-core must find no serious
 * or critical violation on any of them, and each is saved as a screenshot,
 * as test/browser/web-app-screens.test.ts does (test/browser/screenshots/,
 * or with PARLEY_SCREENSHOTS=docs/screenshots, `npm run screenshots`, the
 * ones the README shows). These contexts bypass the CSP to inject axe.
 */
import { mkdirSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateVapidKeys } from "../../src/push/webpush.ts";
import { FakeReceiver } from "../support/receivers.ts";
import { apiUser, messageWith, rest, signIn, startAppEnv, watch, waitForStatus, type AppEnv } from "./app-helpers.ts";
import { SCREENSHOTS, VARIANTS, checkScreen, type Variant } from "./screens.ts";

/** The screens the README shows: only these go to PARLEY_SCREENSHOTS (all of them to the ignored folder). */
const DOC_SCREENS = new Set(["invite", "operator-report"]);

let env: AppEnv;
let receiver: FakeReceiver;
let groupId = "";
let inviteUrl = "";
let reportId = "";
let webhookId = "";

beforeAll(async () => {
  receiver = await FakeReceiver.start();
  const vapid = await generateVapidKeys();
  env = await startAppEnv({
    vars: {
      OPERATORS: "olivia", WEBHOOK_ALLOW_LOOPBACK: "true", PUSH_ENDPOINTS: "http://127.0.0.1", LOG_LEVEL: "warn",
      VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: "mailto:ops@example.com",
    },
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const [olivia, alice, bob, dave] = await Promise.all(["olivia", "alice", "bob", "dave", "erin"].map((n) => apiUser(env, n)));
  await rest(env, olivia!.access_token, "PATCH", "/v1/me", { display_name: "Olivia Hart" });
  await rest(env, alice!.access_token, "PATCH", "/v1/me", { display_name: "Alice Liddell" });
  await rest(env, bob!.access_token, "PATCH", "/v1/me", { display_name: "Bob Stone" });
  const { webhook } = await rest(env, olivia!.access_token, "POST", "/v1/admin/webhooks", { url: `${receiver.url}/events`, events: ["message.created", "member.joined"] });
  webhookId = webhook.id;
  const bot = await rest(env, olivia!.access_token, "POST", "/v1/admin/bots", { username: "buildbot", display_name: "Build Bot" });
  await rest(env, olivia!.access_token, "POST", "/v1/admin/bots", { username: "standup", display_name: "Standup Bot" });
  const { conversation } = await rest(env, bob!.access_token, "POST", "/v1/conversations", { kind: "group", title: "Design review", members: ["alice", "dave", "buildbot"] });
  groupId = conversation.id;
  const say = (token: string, key: string, body: string) => rest(env, token, "POST", `/v1/conversations/${groupId}/messages`, { client_msg_id: key, body });
  await say(bob!.access_token, "s1", "The new onboarding mockups are up.");
  await say(bot.token, "s2", "Build #42 passed: 318 tests, 0 failures.");
  await say(dave!.access_token, "s3", "Cheap watches, this week only: watches.example");
  await say(alice!.access_token, "s4", "Thanks. Reviewing after lunch.");
  const { report } = await rest(env, alice!.access_token, "POST", "/v1/reports", { kind: "message", conversation_id: groupId, seq: 3, reason: "spam", details: "Advertising in a work group." });
  reportId = report.id;
  inviteUrl = (await rest(env, bob!.access_token, "POST", `/v1/conversations/${groupId}/invites`, { max_uses: 10 })).url;
  await rest(env, bob!.access_token, "POST", `/v1/conversations/${groupId}/invites`, { expires_in: 86_400_000 });
  await receiver.waitFor("/events", 4);
});

afterAll(async () => {
  await env?.stop();
  await receiver?.stop();
});

/** One look of a screen: its violations and (see screens.ts) its screenshot. */
function check(page: Page, variant: Variant, screen: string, found: Record<string, string[]>): Promise<void> {
  return checkScreen(page, variant, screen, found, DOC_SCREENS);
}

/** A person of this variant, signed in (after `goto`, when given). */
async function person(browser: Browser, variant: Variant, goto = "/"): Promise<Page> {
  const context = await browser.newContext({ viewport: variant.viewport, colorScheme: variant.colorScheme, bypassCSP: true, locale: "en-GB", timezoneId: "UTC", ...(variant.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 1 } : {}) });
  const page = await context.newPage();
  watch(env, page);
  await page.goto(`${env.engine.url}${goto}`);
  return page;
}

describe("the screens of bots, invites, push and operators", () => {
  for (const variant of VARIANTS) {
    it(`have no serious or critical accessibility violation (${variant.name})`, async () => {
      const found: Record<string, string[]> = {};

      // Erin, not a member, opens the invite link: signs in first, then the join screen.
      const erin = await person(env.browser, variant, new URL(inviteUrl).pathname + new URL(inviteUrl).hash);
      await erin.getByTestId("invite-sign-in-hint").waitFor();
      await check(erin, variant, "invite-sign-in", found);
      await signIn(erin, "erin");
      await erin.getByTestId("invite-group-title").waitFor();
      await check(erin, variant, "invite", found);
      await erin.context().close();

      // Bob, the owner: the group's settings with its invite links; the conversation with the bot's message; push settings.
      const bob = await person(env.browser, variant);
      await signIn(bob, "bob");
      await bob.goto(`${env.engine.url}/#/c/${groupId}`);
      await waitForStatus(bob, "connected");
      await messageWith(bob, "Build #42 passed: 318 tests, 0 failures.").getByTestId("bot-badge").waitFor();
      await check(bob, variant, "conversation-bot", found);
      await bob.goto(`${env.engine.url}/#/c/${groupId}/info`);
      await bob.getByTestId("invite-links").getByTestId("invite-item").nth(1).waitFor();
      await check(bob, variant, "invite-links", found);
      await bob.keyboard.press("Escape");
      await bob.goto(`${env.engine.url}/#/settings`);
      await expect.poll(() => bob.getByTestId("settings-push").getAttribute("data-state")).toBe("off");
      await bob.getByTestId("settings-push").scrollIntoViewIfNeeded();
      await check(bob, variant, "settings-push", found);
      await bob.context().close();

      // Olivia, the operator: every operator screen.
      const olivia = await person(env.browser, variant);
      await signIn(olivia, "olivia");
      await olivia.goto(`${env.engine.url}/#/admin/reports`);
      await olivia.getByTestId("report-item").first().waitFor();
      await check(olivia, variant, "operator-reports", found);
      await olivia.goto(`${env.engine.url}/#/admin/reports/${reportId}`);
      await olivia.getByTestId("report-context").getByTestId("context-message").nth(3).waitFor();
      await olivia.getByTestId("report-target").filter({ hasText: "dave" }).waitFor();
      await check(olivia, variant, "operator-report", found);
      await olivia.goto(`${env.engine.url}/#/admin/bots`);
      await olivia.getByTestId("bot-item").nth(1).waitFor();
      await check(olivia, variant, "operator-bots", found);
      await olivia.goto(`${env.engine.url}/#/admin/webhooks`);
      await olivia.getByTestId("webhook-item").first().waitFor();
      await check(olivia, variant, "operator-webhooks", found);
      await olivia.goto(`${env.engine.url}/#/admin/webhooks/${webhookId}`);
      await olivia.getByTestId("delivery").first().waitFor();
      await check(olivia, variant, "operator-deliveries", found);
      await olivia.goto(`${env.engine.url}/#/admin/metrics`);
      await olivia.getByTestId("metric").first().waitFor();
      await check(olivia, variant, "operator-metrics", found);
      await olivia.context().close();

      expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
      expect(env.pageErrors).toEqual([]);
    });
  }
});
