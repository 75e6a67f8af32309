/**
 * Bots, invite links and web push in the web app (docs/protocol.md
 * §22.14, §22.16, §22.17), in Chromium against the real engine: a bot is
 * marked "Bot" wherever it appears; an owner makes invite links in the
 * group's settings and people join through the join screen (signed in, or
 * after signing in), while a used-up or revoked link says so; the push
 * section registers the service worker the build emits and asks the
 * server's VAPID key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateVapidKeys } from "../../src/push/webpush.ts";
import { apiUser, messageWith, newPerson, openConversation, rest, signIn, signedIn, startAppEnv, uniqueUser, type AppEnv } from "./app-helpers.ts";

let env: AppEnv;
const OPERATOR = uniqueUser("ops");

beforeAll(async () => {
  const vapid = await generateVapidKeys();
  env = await startAppEnv({
    vars: {
      OPERATORS: OPERATOR, PUSH_ENDPOINTS: "http://127.0.0.1", LOG_LEVEL: "warn",
      VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: "mailto:ops@example.com",
    },
  });
});

afterAll(async () => {
  await env?.stop();
});

/** A group made over REST by its owner; its id. */
async function group(token: string, title: string, members: string[]): Promise<string> {
  return (await rest(env, token, "POST", "/v1/conversations", { kind: "group", title, members })).conversation.id;
}

describe("bots in the web app", () => {
  it("are marked as bots in messages, member lists, the conversation list and title, and people search; people are not", async () => {
    const op = await apiUser(env, OPERATOR);
    const botName = uniqueUser("helper");
    const created = await rest(env, op.access_token, "POST", "/v1/admin/bots", { username: botName, display_name: "Helper Bot" });
    const botId: string = created.bot.user.id;
    expect(botId.startsWith("u_bot_")).toBe(true);
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const [aliceApi, bobApi] = await Promise.all([apiUser(env, alice), apiUser(env, bob)]);
    const gid = await group(aliceApi.access_token, "With a bot", [botName, bob]);
    await rest(env, created.token, "POST", `/v1/conversations/${gid}/messages`, { client_msg_id: "b1", body: "beep from the bot" });
    await rest(env, bobApi.access_token, "POST", `/v1/conversations/${gid}/messages`, { client_msg_id: "p1", body: "hello from a person" });
    await rest(env, aliceApi.access_token, "POST", "/v1/conversations", { kind: "direct", with: botName });

    const a = await signedIn(env, alice);
    // The direct conversation with the bot: its list item and its title say "Bot".
    const directItem = a.getByTestId("conversation-item").filter({ hasText: "Helper Bot" });
    await directItem.getByTestId("bot-badge").waitFor();
    await directItem.click();
    await a.getByTestId("conversation-title").getByTestId("bot-badge").waitFor();

    // In the group: the bot's message has the badge, a person's has none.
    await openConversation(a, "With a bot");
    await messageWith(a, "beep from the bot").getByTestId("bot-badge").waitFor();
    await messageWith(a, "hello from a person").waitFor();
    expect(await messageWith(a, "hello from a person").getByTestId("bot-badge").count()).toBe(0);
    expect(await a.getByTestId("conversation-item").filter({ hasText: "With a bot" }).getByTestId("bot-badge").count()).toBe(0);

    // The member list.
    await a.getByRole("link", { name: "Group settings" }).click();
    const members = a.getByTestId("conversation-info").getByTestId("member");
    await members.filter({ has: a.getByText(`@${botName}`) }).getByTestId("bot-badge").waitFor();
    expect(await a.locator(`[data-testid=member][data-user-id="${bobApi.user.id}"] [data-testid=bot-badge]`).count()).toBe(0);
    await a.keyboard.press("Escape");

    // People search when starting a conversation.
    await a.getByTestId("new-conversation").click();
    await a.getByLabel("Find people").fill(botName);
    await a.getByTestId("person-result").filter({ hasText: `@${botName}` }).getByTestId("bot-badge").waitFor();
    await a.getByLabel("Find people").fill(bob);
    await a.getByTestId("person-result").filter({ hasText: `@${bob}` }).waitFor();
    expect(await a.getByTestId("person-result").filter({ hasText: `@${bob}` }).getByTestId("bot-badge").count()).toBe(0);
    await a.context().close();
    expect(env.pageErrors).toEqual([]);
  });
});

describe("invite links in the web app", () => {
  it("an owner makes a link in the group's settings; others join through the join screen; a used-up or revoked link says so", async () => {
    const owner = uniqueUser("owner");
    const joiner = uniqueUser("joiner");
    const late = uniqueUser("late");
    const member = uniqueUser("member");
    const ownerApi = await apiUser(env, owner);
    await apiUser(env, member);
    const gid = await group(ownerApi.access_token, "Book club", [member]);
    const [o, j, l] = await Promise.all([signedIn(env, owner), signedIn(env, joiner), signedIn(env, late)]);

    // A link for one use, made in the group's settings; the URL is the engine's, to the join screen.
    await openConversation(o, "Book club");
    await o.getByRole("link", { name: "Group settings" }).click();
    const links = o.getByTestId("invite-links");
    await links.getByLabel("Expires after").selectOption({ label: "1 day" });
    await links.getByLabel("Uses (empty: no limit)").fill("1");
    await links.getByTestId("invite-create").click();
    const url = await links.getByTestId("invite-url").inputValue();
    expect(url.startsWith(`${env.engine.url}/#/invite/${gid}.`)).toBe(true);
    await expect.poll(() => links.getByTestId("invite-item").count()).toBe(1);
    expect(await links.getByTestId("invite-uses").first().textContent()).toBe("0 of 1 used");

    // The joiner opens it: the group's preview, then Join opens the conversation.
    await j.goto(url);
    const view = j.getByTestId("invite-view");
    await expect.poll(() => view.getByTestId("invite-group-title").textContent()).toBe("Book club");
    expect(await view.getByTestId("invite-member-count").textContent()).toContain("2 members");
    await view.getByTestId("invite-join").click();
    await j.getByTestId("conversation-title").filter({ hasText: "Book club" }).waitFor();
    const joined = await rest(env, ownerApi.access_token, "GET", `/v1/conversations/${gid}`);
    expect(joined.conversation.members.map((m: { username: string }) => m.username)).toContain(joiner);

    // Used up: the next person is told, and is not let in.
    await l.goto(url);
    await expect.poll(() => l.getByTestId("invite-error").textContent()).toContain("used up");
    expect(await l.getByTestId("invite-join").count()).toBe(0);

    // The list shows the use; a second link is revoked in the list, and then refused too.
    await links.getByLabel("Uses (empty: no limit)").fill("");
    await links.getByTestId("invite-create").click();
    await expect.poll(() => links.getByTestId("invite-item").count()).toBe(2);
    const second = await links.getByTestId("invite-url").inputValue();
    expect(second).not.toBe(url);
    await expect.poll(() => links.locator("[data-testid=invite-item][data-state='used up']").count()).toBe(1);
    await links.locator("[data-testid=invite-item][data-state=active]").getByTestId("invite-revoke").click();
    await o.getByTestId("confirm-dialog").getByRole("button", { name: "Revoke" }).click();
    await expect.poll(() => links.locator("[data-testid=invite-item][data-state=revoked]").count()).toBe(1);
    await l.goto(second);
    await expect.poll(() => l.getByTestId("invite-error").textContent()).toContain("revoked");

    // A member who is not owner or admin sees no invite links.
    await j.getByRole("link", { name: "Group settings" }).click();
    await j.getByTestId("conversation-info").getByTestId("member").first().waitFor();
    expect(await j.getByTestId("invite-links").count()).toBe(0);
    for (const p of [o, j, l]) await p.context().close();
    expect(env.pageErrors).toEqual([]);
  });

  it("someone signed out who opens a link signs in first, then comes back to the join screen and joins", async () => {
    const owner = uniqueUser("owner");
    const ownerApi = await apiUser(env, owner);
    const gid = await group(ownerApi.access_token, "Night owls", []);
    const { url } = await rest(env, ownerApi.access_token, "POST", `/v1/conversations/${gid}/invites`, {});
    const visitor = uniqueUser("visitor");
    const v = await newPerson(env);
    await v.goto(url);
    await v.getByTestId("invite-sign-in-hint").waitFor();
    await signIn(v, visitor);
    const view = v.getByTestId("invite-view");
    await expect.poll(() => view.getByTestId("invite-group-title").textContent()).toBe("Night owls");
    await view.getByTestId("invite-join").click();
    await v.getByTestId("conversation-title").filter({ hasText: "Night owls" }).waitFor();
    await v.getByTestId("conversation-item").filter({ hasText: "Night owls" }).waitFor();
    // Back on the list later, the app does not send them to the invite again.
    await v.goto(`${env.engine.url}/#/`);
    await v.reload();
    await v.getByTestId("chat-view").waitFor();
    expect(await v.getByTestId("invite-view").count()).toBe(0);
    await v.context().close();
    expect(env.pageErrors).toEqual([]);
  });
});

describe("push notifications in the web app", () => {
  it("the settings section registers the push service worker the build emits and reads the VAPID key", async () => {
    const sw = await fetch(`${env.engine.url}/push-sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get("content-type")).toMatch(/javascript/);
    expect(await sw.text()).toContain("showNotification");

    const page = await newPerson(env, { permissions: ["notifications"] });
    await signIn(page, uniqueUser("pushy"));
    await page.goto(`${env.engine.url}/#/settings`);
    const section = page.getByTestId("settings-push");
    await expect.poll(() => section.getAttribute("data-state")).toBe("off");
    const vapid = page.waitForResponse((r) => r.url().endsWith("/v1/push/vapid-key"));
    await section.getByTestId("push-toggle").click();
    expect((await vapid).status()).toBe(200);
    // The worker is registered for the whole app and runs.
    await expect
      .poll(() => page.evaluate(async () => (await navigator.serviceWorker.getRegistration("/"))?.active?.scriptURL ?? ""), { timeout: 15_000 })
      .toBe(`${env.engine.url}/push-sw.js`);
    // Headless Chromium has no push service to subscribe with: either it
    // subscribed (and the engine took it: the state is "on"), or the section
    // says plainly that this browser could not subscribe.
    await expect
      .poll(async () => ((await section.getAttribute("data-state")) === "on" ? "on" : (await section.getByTestId("push-error").textContent()) ?? ""))
      .toMatch(/^on$|could not subscribe/);
    await page.context().close();
    expect(env.pageErrors).toEqual([]);
  });
});
