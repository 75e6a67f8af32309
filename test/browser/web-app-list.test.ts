/**
 * The web app's conversation list and what lands in it, in Chromium against
 * the real engine (inbox snapshot capped at 3, so paging shows): unread
 * badges and the tab title, paging beyond the snapshot, mute, finding
 * people, toasts for other conversations, the notification list, presence
 * dots and last seen, and the typing line. Alice and Bob have pages; the
 * others act over REST.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiUser, messageWith, openConversation, rest, signedIn, startDirect, type, uniqueUser, waitForMessages, type AppEnv, startAppEnv } from "./app-helpers.ts";

let env: AppEnv;

beforeAll(async () => {
  env = await startAppEnv({ vars: { INBOX_SNAPSHOT_MAX: "3" } });
});

afterAll(async () => {
  await env?.stop();
});

/** A direct conversation started by `from` (a REST user) with a message to `to`. */
async function directFrom(from: { access_token: string }, to: string, body: string): Promise<string> {
  const { conversation } = await rest(env, from.access_token, "POST", "/v1/conversations", { kind: "direct", with: to });
  await rest(env, from.access_token, "POST", `/v1/conversations/${conversation.id}/messages`, { client_msg_id: `k${Math.random().toString(36).slice(2)}`, body });
  return conversation.id;
}

describe("the conversation list", () => {
  it("pages beyond the inbox snapshot, counts unread in badges and the tab title, mutes, and finds people", async () => {
    const alice = uniqueUser("alice");
    await apiUser(env, alice);
    const others = await Promise.all([1, 2, 3, 4, 5].map((i) => apiUser(env, uniqueUser(`p${i}`))));
    for (const [i, o] of others.entries()) await directFrom(o, alice, `hello ${i + 1}`);

    const a = await signedIn(env, alice);
    // The snapshot holds the newest three; the rest come with "Load older conversations".
    const items = a.getByTestId("conversation-item");
    await expect.poll(() => items.count()).toBeGreaterThanOrEqual(3);
    const more = a.getByTestId("load-more-conversations");
    await more.waitFor();
    await more.click();
    await expect.poll(() => items.count()).toBe(5);
    await expect.poll(() => more.count()).toBe(0);
    // Latest activity first, each with its preview and one unread.
    // (A direct conversation is named once its members are read: "…" until then.)
    await expect.poll(() => a.getByTestId("conversation-item-title").allTextContents()).toEqual(others.map((o) => o.user.username).reverse());
    expect(await items.first().getAttribute("data-unread")).toBe("1");
    expect(await items.first().getByTestId("unread-badge").textContent()).toBe("1");
    await expect.poll(() => a.title()).toBe("(5) Parley");

    // Opening one reads it: its badge goes and the title counts the rest.
    await openConversation(a, others[0]!.user.username);
    await waitForMessages(a, 1);
    await expect.poll(() => a.title()).toBe("(4) Parley");
    // A new message moves its conversation to the top.
    await directFrom(others[0]!, alice, "again");
    await messageWith(a, "again").waitFor();
    await expect.poll(() => a.getByTestId("conversation-item-title").first().textContent()).toBe(others[0]!.user.username);

    // Mute from the conversation's menu: the list says so and the count leaves the title.
    await openConversation(a, others[1]!.user.username);
    await a.getByRole("button", { name: "Conversation actions" }).click();
    await a.getByRole("menuitem", { name: "Mute" }).click();
    const mutedItem = items.filter({ hasText: others[1]!.user.username });
    await expect.poll(() => mutedItem.getAttribute("data-muted")).toBe("true");
    await a.goto(`${env.engine.url}/#/`);
    await a.getByTestId("chat-view").waitFor();
    await expect.poll(() => mutedItem.getByTestId("muted-icon").count()).toBe(1);
    await directFrom(others[1]!, alice, "quiet please");
    await expect.poll(() => mutedItem.getAttribute("data-unread")).toBe("1");
    expect(await mutedItem.textContent()).toMatch(/1 unread, muted$/);
    // No toast for a muted conversation, and its unread is not in the title (3 others unread).
    await expect.poll(() => a.title()).toBe("(3) Parley");
    expect(await a.getByTestId("toast").count()).toBe(0);
    // Unmute from the details dialog.
    await mutedItem.click();
    await a.getByRole("link", { name: "Details" }).click();
    await a.getByTestId("mute-toggle").click();
    await expect.poll(() => a.getByTestId("mute-toggle").getAttribute("aria-pressed")).toBe("false");
    await a.keyboard.press("Escape");
    await expect.poll(() => mutedItem.getAttribute("data-muted")).toBe(null);

    // Finding people: part of a name lists matches; picking one opens the direct conversation.
    const bob = uniqueUser("bobby");
    await apiUser(env, bob);
    await a.getByTestId("new-conversation").click();
    await a.getByLabel("Find people").fill(bob.slice(0, 7));
    await a.getByTestId("person-result").filter({ hasText: `@${bob}` }).waitFor();
    await a.getByTestId("person-result").filter({ hasText: `@${bob}` }).click();
    await a.getByTestId("conversation-title").filter({ hasText: bob }).waitFor();
    expect(env.pageErrors).toEqual([]);
  });

  it("shows a toast for a message in another conversation, lists notifications and marks them read, and shows presence, last seen and typing", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const carol = await apiUser(env, uniqueUser("carol"));
    const [a, b] = await Promise.all([signedIn(env, alice), signedIn(env, bob)]);
    await startDirect(a, bob);
    await type(a, "hi bob");
    await openConversation(b, alice);

    // Presence: each sees the other online (the inbox's contacts), Bob's chosen status reaches Alice.
    const bobDot = a.getByTestId("conversation-item").filter({ hasText: bob }).getByTestId("presence-dot");
    await expect.poll(() => bobDot.getAttribute("data-status"), { timeout: 20_000 }).toBe("online");
    await expect.poll(() => a.getByTestId("conversation-presence").textContent()).toContain("Online");
    await b.goto(`${env.engine.url}/#/settings`);
    await b.getByRole("radio", { name: "Away" }).check();
    await expect.poll(() => bobDot.getAttribute("data-status"), { timeout: 20_000 }).toBe("away");
    await expect.poll(() => a.getByTestId("conversation-presence").textContent()).toContain("Away");

    // Typing: Bob types, Alice sees it; sending ends it.
    await b.goto(`${env.engine.url}/#/`);
    await openConversation(b, alice);
    await b.getByTestId("composer-input").pressSequentially("typing something", { delay: 20 });
    await expect.poll(() => a.getByTestId("typing").textContent()).toBe(`${bob} is typing…`);
    await b.getByTestId("composer-input").press("Enter");
    await messageWith(a, "typing something").waitFor();
    await expect.poll(() => a.getByTestId("typing").textContent()).toBe("");

    // A toast for a message elsewhere: Carol writes to Alice while Alice is with Bob; the toast opens it.
    await directFrom(carol, alice, "psst, alice");
    const toast = a.getByTestId("toast").filter({ hasText: "psst, alice" });
    await toast.waitFor();
    expect(await toast.textContent()).toContain(carol.user.username);
    await toast.getByRole("button", { name: new RegExp(carol.user.username) }).click();
    await a.getByTestId("conversation-title").filter({ hasText: carol.user.username }).waitFor();

    // Notifications: Carol adds Alice to a group and mentions her; the badge counts them, the list shows them.
    const { conversation: group } = await rest(env, carol.access_token, "POST", "/v1/conversations", { kind: "group", title: "Plans", members: [alice] });
    await rest(env, carol.access_token, "POST", `/v1/conversations/${group.id}/messages`, { client_msg_id: "m1", body: `@${alice} are you in?` });
    const badge = a.getByTestId("notifications-badge");
    await expect.poll(() => badge.textContent(), { timeout: 20_000 }).toBe("2");
    await a.getByTestId("notifications-link").click();
    const list = a.getByTestId("notification");
    await expect.poll(() => list.count()).toBe(2);
    expect(await list.first().getAttribute("data-kind")).toBe("mention");
    // The conversation's title is read after the notification arrives ("…" until then).
    await expect.poll(() => list.first().textContent()).toContain("You were mentioned in Plans");
    // Opening the mention marks it read and shows the message.
    await list.first().click();
    await a.getByTestId("conversation-title").filter({ hasText: "Plans" }).waitFor();
    await messageWith(a, `@${alice} are you in?`).waitFor();
    await expect.poll(() => badge.textContent()).toBe("1");
    await a.getByTestId("notifications-link").click();
    await a.getByTestId("mark-all-read").click();
    await expect.poll(() => badge.count()).toBe(0);
    expect(await a.locator("[data-testid=notification][data-unread]").count()).toBe(0);

    // Bob leaves: Alice sees him offline, with when he was last seen.
    await b.context().close();
    await expect.poll(() => bobDot.getAttribute("data-status"), { timeout: 30_000 }).toBe("offline");
    expect(await bobDot.getAttribute("aria-label")).toMatch(/^last seen/);
    expect(env.pageErrors).toEqual([]);
  });
});
