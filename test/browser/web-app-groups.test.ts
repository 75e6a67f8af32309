/**
 * Groups in the web app, in Chromium against the real engine: create with
 * people found by name, rename, add, remove, hand over ownership, leave;
 * mention autocomplete over the members; block and report. Three people,
 * three browser contexts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageAction, messageWith, openConversation, signedIn, startAppEnv, startDirect, type, uniqueUser, type AppEnv } from "./app-helpers.ts";

let env: AppEnv;

beforeAll(async () => {
  env = await startAppEnv();
});

afterAll(async () => {
  await env?.stop();
});

describe("groups in the web app", () => {
  it("creates a group, renames it, adds and removes people, hands it over and leaves; mentions autocomplete over members", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const carol = uniqueUser("carol");
    const [a, b, c] = await Promise.all([signedIn(env, alice), signedIn(env, bob), signedIn(env, carol)]);

    // Alice makes "Team" with Bob, found by name.
    await a.getByTestId("new-conversation").click();
    await a.getByRole("radio", { name: "New group" }).click();
    await a.getByLabel("Group name").fill("Team");
    await a.getByLabel("Add people").fill(bob);
    await a.getByTestId("person-result").filter({ hasText: `@${bob}` }).click();
    await a.getByRole("button", { name: "Create group" }).click();
    await a.getByTestId("conversation-title").filter({ hasText: "Team" }).waitFor();
    await b.getByTestId("conversation-item").filter({ hasText: "Team" }).waitFor();

    // Rename, in the group's settings.
    await a.getByRole("link", { name: "Group settings" }).click();
    const info = a.getByTestId("conversation-info");
    await info.getByLabel("Group name").fill("Team Rocket");
    await info.getByRole("button", { name: "Rename" }).click();
    await b.getByTestId("conversation-item").filter({ hasText: "Team Rocket" }).waitFor();

    // Add Carol; she gets the group, and the member list shows three.
    await info.getByLabel("Add people").fill(carol);
    await info.getByTestId("person-result").filter({ hasText: `@${carol}` }).click();
    await expect.poll(() => info.getByTestId("member").count()).toBe(3);
    await c.getByTestId("conversation-item").filter({ hasText: "Team Rocket" }).waitFor();
    await a.keyboard.press("Escape");
    await expect.poll(() => info.count()).toBe(0);

    // Mentions: "@" lists the other members, typing narrows, arrows and Enter pick.
    const input = a.getByTestId("composer-input");
    await input.fill("");
    await input.pressSequentially("hi @");
    const list = a.getByTestId("mention-suggestions");
    await expect.poll(() => list.getByRole("option").count()).toBe(2);
    await input.pressSequentially(carol.slice(0, 4));
    await expect.poll(() => list.getByRole("option").count()).toBe(1);
    await input.press("Enter");
    expect(await input.inputValue()).toBe(`hi @${carol} `);
    await input.pressSequentially("welcome");
    await input.press("Enter");
    await openConversation(c, "Team Rocket");
    const mention = messageWith(c, `hi @${carol} welcome`);
    await mention.waitFor();
    expect(await mention.locator(".mention").textContent()).toBe(`@${carol}`);

    // Remove Carol: she loses the group.
    await a.getByRole("link", { name: "Group settings" }).click();
    const carolRow = info.getByTestId("member").filter({ hasText: `@${carol}` });
    await carolRow.getByRole("button", { name: `Actions for ${carol}` }).click();
    await carolRow.getByRole("menuitem", { name: "Remove from group" }).click();
    await expect.poll(() => info.getByTestId("member").count()).toBe(2);
    await expect.poll(() => c.getByTestId("conversation-item").filter({ hasText: "Team Rocket" }).count(), { timeout: 20_000 }).toBe(0);

    // The owner cannot leave before handing over; after handing over to Bob she can.
    await info.getByTestId("leave-group").click();
    expect(await info.getByTestId("info-error").textContent()).toContain("Hand over ownership");
    const bobRow = info.getByTestId("member").filter({ hasText: `@${bob}` });
    await bobRow.getByRole("button", { name: `Actions for ${bob}` }).click();
    await bobRow.getByRole("menuitem", { name: "Make owner" }).click();
    await a.getByTestId("confirm-dialog").getByRole("button", { name: "Hand over" }).click();
    await expect.poll(() => bobRow.getAttribute("data-role")).toBe("owner");
    expect(await info.getByTestId("member").filter({ hasText: "(you)" }).getAttribute("data-role")).toBe("admin");
    await info.getByTestId("leave-group").click();
    await a.getByTestId("confirm-dialog").getByRole("button", { name: "Leave" }).click();
    // Home, or (when it does not get there) where it is and what the settings dialog says.
    const whereAfterLeaving = async () =>
      (await a.getByTestId("no-conversation").isVisible())
        ? "home"
        : `${await a.evaluate(() => location.hash)} ${(await info.getByTestId("info-error").textContent().catch(() => "")) ?? ""}`;
    await expect.poll(whereAfterLeaving, { timeout: 30_000 }).toBe("home");
    // The settings dialog closing as it goes away must not lead back into the group.
    await a.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    expect(await a.getByTestId("no-conversation").isVisible()).toBe(true);
    expect(await a.evaluate(() => location.hash)).toBe("#/");
    await expect.poll(() => a.getByTestId("conversation-item").filter({ hasText: "Team Rocket" }).count()).toBe(0);
    expect(env.pageErrors).toEqual([]);
  });

  it("blocks and unblocks a person, and reports a person and a message", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const [a, b] = await Promise.all([signedIn(env, alice), signedIn(env, bob)]);
    await startDirect(b, alice);
    await type(b, "buy my stuff");
    await openConversation(a, bob);
    await messageWith(a, "buy my stuff").waitFor();

    // Report the message, from its menu.
    await messageAction(a, "buy my stuff", "Report");
    const dialog = a.getByTestId("report-dialog");
    await dialog.getByLabel("Reason").fill("spam");
    await dialog.getByRole("button", { name: "Send report" }).click();
    await dialog.getByTestId("report-done").waitFor();
    await dialog.getByRole("button", { name: "Close" }).first().click();

    // Block from the conversation's menu: Bob can no longer write here.
    await a.getByRole("button", { name: "Conversation actions" }).click();
    await a.getByRole("menuitem", { name: `Block ${bob}` }).click();
    await a.getByRole("button", { name: "Conversation actions" }).click();
    await a.getByRole("menuitem", { name: `Unblock ${bob}` }).waitFor();
    await a.keyboard.press("Escape");
    // Bob's inbox drops the conversation, and his page leaves it.
    await expect.poll(() => b.getByTestId("conversation-item").filter({ hasText: alice }).count(), { timeout: 20_000 }).toBe(0);

    // Report the person, then unblock from the details.
    await a.getByRole("link", { name: "Details" }).click();
    const info = a.getByTestId("conversation-info");
    await info.getByRole("button", { name: "Report" }).click();
    await a.getByTestId("report-dialog").getByLabel("Reason").fill("spam account");
    await a.getByTestId("report-dialog").getByRole("button", { name: "Send report" }).click();
    await a.getByTestId("report-done").waitFor();
    await a.keyboard.press("Escape");
    await info.getByTestId("block-toggle").click();
    await expect.poll(() => info.getByTestId("block-toggle").textContent()).toBe("Block");
    await a.keyboard.press("Escape");
    // Once unblocked, the conversation comes back to Bob and he can write again.
    await b.getByTestId("conversation-item").filter({ hasText: alice }).waitFor({ timeout: 20_000 });
    await openConversation(b, alice);
    await type(b, "sorry");
    await messageWith(a, "sorry").waitFor();
    expect(env.pageErrors).toEqual([]);
  });
});
