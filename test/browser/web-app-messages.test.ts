/**
 * A conversation in the web app, in Chromium against the real engine (send
 * rate raised so a test can fill a history): older history on scroll-up,
 * jumping to the latest, date separators, replies and jumping to the
 * original (loading older history), reactions, edits and deletions seen by
 * the other side, search in a conversation and across all, the ticks
 * (sent, delivered, read), and attachments picked, dropped and pasted, with
 * previews and upload progress.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinedClient } from "../support/e2e-helpers.ts";
import { accessToken, apiUser, messageAction, messageWith, openConversation, rest, signedIn, startAppEnv, startDirect, type, uniqueUser, waitForMessages, type AppEnv } from "./app-helpers.ts";

let env: AppEnv;

beforeAll(async () => {
  env = await startAppEnv({ vars: { SEND_RATE: "2000/10000" } });
});

afterAll(async () => {
  await env?.stop();
});

/** A 1×1 PNG; `padTo` bytes with zeros after its end (still a valid image, and a bigger upload). */
function png(padTo = 0): Buffer {
  const base = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");
  return padTo > base.length ? Buffer.concat([base, Buffer.alloc(padTo - base.length)]) : base;
}

function scrollState(page: Page) {
  return page.getByTestId("message-scroller").evaluate((el) => ({ top: el.scrollTop, bottom: el.scrollHeight - el.scrollTop - el.clientHeight }));
}

describe("a conversation in the web app", () => {
  it("loads older history on scroll-up, jumps to a replied message and to the latest, separates days, and searches", async () => {
    const alice = uniqueUser("alice");
    const bob = await apiUser(env, uniqueUser("bob"));
    await apiUser(env, alice);
    const { conversation } = await rest(env, bob.access_token, "POST", "/v1/conversations", { kind: "direct", with: alice });
    const send = (body: string, reply?: number) =>
      rest(env, bob.access_token, "POST", `/v1/conversations/${conversation.id}/messages`, { client_msg_id: `k${Math.random().toString(36).slice(2)}`, body, ...(reply ? { reply_to_seq: reply } : {}) });
    for (let i = 1; i <= 119; i++) await send(i === 5 ? "the needle in the haystack" : `message ${i}`);
    await send("about that needle", 5);

    const a = await signedIn(env, alice);
    await openConversation(a, bob.user.username);
    // The newest 50 first, at the bottom, under a date separator for today.
    const first = await waitForMessages(a, 50);
    expect(first[0]![0]).toBe(71);
    expect(first.at(-1)).toEqual([120, "about that needle"]);
    await expect.poll(async () => (await scrollState(a)).bottom).toBeLessThan(5);
    expect(await a.getByTestId("date-separator").first().textContent()).toBe("Today");

    // Scrolling to the top loads the 50 before, keeping the view where it was.
    await a.getByTestId("message-scroller").evaluate((el) => (el.scrollTop = 0));
    await waitForMessages(a, 100);
    const after = await a.locator("[data-testid=message]").first().getAttribute("data-seq");
    expect(after).toBe("21");
    expect((await scrollState(a)).top).toBeGreaterThan(100);

    // While Alice reads old messages, a new one arrives: "Jump to latest" takes her there.
    await send("something new");
    await messageWith(a, "something new").waitFor({ state: "attached" });
    await a.getByTestId("jump-latest").click();
    await expect.poll(async () => (await scrollState(a)).bottom).toBeLessThan(5);

    // The reply quotes message 5; clicking the quote loads the history down to it and shows it.
    const reply = messageWith(a, "about that needle");
    expect(await reply.getByTestId("reply-quote").textContent()).toContain("the needle in the haystack");
    await reply.getByTestId("reply-quote").click();
    await expect.poll(() => a.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.seq)).toBe("5");
    expect(await a.locator("[data-testid=message]").first().getAttribute("data-seq")).toBe(String(Math.max(1, 5 - 10)));
    expect(await messageWith(a, "the needle in the haystack").isVisible()).toBe(true);

    // Search in the conversation: results as text with the match marked; picking one shows it.
    await a.getByRole("button", { name: "Search in conversation" }).click();
    await a.getByLabel("Search in this conversation").fill("needle");
    await a.getByLabel("Search in this conversation").press("Enter");
    const results = a.getByTestId("conversation-search").getByTestId("search-result");
    await expect.poll(() => results.count()).toBe(2);
    expect(await results.locator("mark").first().textContent()).toMatch(/needle/i);
    await a.getByTestId("jump-latest").click().catch(() => undefined);
    await results.filter({ hasText: "haystack" }).click();
    await expect.poll(() => a.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.seq)).toBe("5");

    // Search everywhere, from its own screen (a link keeps the query); a hit opens its conversation at the message.
    await a.goto(`${env.engine.url}/#/search?q=haystack`);
    const hits = a.getByTestId("search-view").getByTestId("search-result");
    await expect.poll(() => hits.count()).toBe(1);
    await expect.poll(() => hits.first().textContent()).toContain(bob.user.username);
    await hits.first().click();
    await a.getByTestId("conversation-title").filter({ hasText: bob.user.username }).waitFor();
    await expect.poll(() => a.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.seq), { timeout: 15_000 }).toBe("5");

    // A page whose clock is a day ahead labels the same messages "Yesterday".
    const later = await signedIn(env, alice, { clock: true });
    await later.clock.fastForward("24:00:00");
    await openConversation(later, bob.user.username);
    await waitForMessages(later, 50);
    expect(await later.getByTestId("date-separator").first().textContent()).toBe("Yesterday");
    expect(env.pageErrors).toEqual([]);
  });

  it("replies, reacts, edits and deletes, each seen by the other person, with sent, delivered and read ticks", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const [a, b] = await Promise.all([signedIn(env, alice), signedIn(env, bob)]);
    await startDirect(a, bob);

    // Sent: Bob is not in the conversation yet.
    await type(a, "first words");
    const mine = messageWith(a, "first words");
    await expect.poll(() => mine.getByTestId("tick").getAttribute("data-tick")).toBe("sent");
    // Delivered: one of Bob's devices says it got it (a protocol client in Node).
    const { token: bobToken, userId: bobId } = await accessToken(b);
    const conversationId = await mine.evaluate((el) => el.closest("[data-conversation-id]")!.getAttribute("data-conversation-id")!);
    const device = await joinedClient(env.engine.wsUrl, { token: bobToken, userId: bobId, username: bob }, conversationId);
    device.client.send("receipt.delivered", { up_to_seq: 1 });
    await expect.poll(() => mine.getByTestId("tick").getAttribute("data-tick")).toBe("delivered");
    device.client.close();
    // Read: Bob opens it.
    await openConversation(b, alice);
    await expect.poll(() => mine.getByTestId("tick").getAttribute("data-tick")).toBe("read");
    expect(await mine.getByTestId("tick").getAttribute("aria-label")).toBe("Read");

    // Bob replies to it from the message's menu; the reply quotes it on both sides.
    await messageAction(b, "first words", "Reply");
    await b.getByTestId("composer-reply").waitFor();
    await type(b, "a reply");
    await expect.poll(() => messageWith(a, "a reply").getByTestId("reply-quote").textContent()).toContain("first words");
    expect(await b.getByTestId("composer-reply").count()).toBe(0);

    // Reactions: Alice reacts from the menu, Bob joins from the chip, Alice takes hers back.
    await messageAction(a, "a reply", "React with 👍");
    const chipB = messageWith(b, "a reply").getByTestId("reaction");
    await expect.poll(() => chipB.textContent()).toBe("👍 1");
    await chipB.click();
    const chipA = messageWith(a, "a reply").getByTestId("reaction");
    await expect.poll(() => chipA.textContent()).toBe("👍 2");
    expect(await chipA.getAttribute("aria-pressed")).toBe("true");
    await chipA.click();
    await expect.poll(() => chipB.textContent()).toBe("👍 1");
    expect(await chipB.getAttribute("aria-pressed")).toBe("true");

    // Edit: Alice fixes a typo in place (Enter saves); Bob sees the new text, marked edited.
    await type(a, "a typo mesage");
    await messageAction(a, "a typo mesage", "Edit");
    await a.getByTestId("edit-input").fill("a typo message");
    await a.getByTestId("edit-input").press("Enter");
    await messageWith(b, "a typo message").getByTestId("edited").waitFor();
    // ArrowUp in the empty composer edits the last own message; Escape cancels.
    await a.getByTestId("composer-input").press("ArrowUp");
    await a.getByTestId("edit-input").waitFor();
    await a.getByTestId("edit-input").press("Escape");
    await expect.poll(() => a.getByTestId("edit-input").count()).toBe(0);

    // Delete, after a confirmation: both see a tombstone.
    await messageAction(a, "a typo message", "Delete");
    await a.getByTestId("confirm-dialog").getByRole("button", { name: "Delete" }).click();
    const gone = (page: Page) => page.locator("[data-testid=message][data-deleted=true]");
    await expect.poll(() => gone(b).count()).toBe(1);
    expect(await gone(b).getByTestId("message-body").textContent()).toBe("This message was deleted.");
    await expect.poll(() => gone(a).count()).toBe(1);
    expect(env.pageErrors).toEqual([]);
  });

  it("sends files picked, dropped and pasted, with previews and upload progress; the other side sees the image", async () => {
    const alice = uniqueUser("alice");
    const bob = uniqueUser("bob");
    const [a, b] = await Promise.all([signedIn(env, alice), signedIn(env, bob)]);
    await startDirect(a, bob);
    await openConversation(b, alice).catch(async () => {
      await b.reload();
      await openConversation(b, alice);
    });

    // Picked with the file chooser (its input), uploaded on a slow line: progress shows, then "ready".
    const cdp = await a.context().newCDPSession(a);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 400 * 1024 });
    await a.getByTestId("file-input").setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: png(1_200_000) });
    const upload = a.getByTestId("upload").filter({ hasText: "photo.png" });
    await upload.locator("progress").waitFor();
    const seen = await upload.locator("progress").evaluate((p) => (p as HTMLProgressElement).value);
    expect(seen).toBeLessThan(1);
    expect(await upload.getByTestId("upload-preview").evaluate((img) => (img as HTMLImageElement).src)).toMatch(/^blob:/);
    await expect.poll(() => upload.getAttribute("data-done"), { timeout: 20_000 }).toBe("true");
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await type(a, "a picture");
    const image = messageWith(b, "a picture").getByTestId("attachment-image");
    await image.waitFor();
    await expect.poll(() => image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(1);
    expect(await image.getAttribute("alt")).toBe("photo.png");

    // Dropped on the conversation.
    await a.getByTestId("conversation").evaluate((target) => {
      const dt = new DataTransfer();
      dt.items.add(new File(["some notes"], "notes.txt", { type: "text/plain" }));
      target.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
    });
    await expect.poll(() => a.getByTestId("upload").filter({ hasText: "notes.txt" }).getAttribute("data-done")).toBe("true");
    // Sent without text: the message names the file.
    await a.getByTestId("composer-input").press("Enter");
    const file = messageWith(b, "📎 notes.txt").getByTestId("attachment-file");
    await file.waitFor();
    expect(await file.textContent()).toContain("notes.txt");

    // Pasted into the composer (an image from the clipboard).
    const bytes = [...png()];
    await a.getByTestId("composer-input").evaluate((input, data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], "", { type: "image/png" }));
      input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
    }, bytes);
    const pasted = a.getByTestId("upload").filter({ hasText: /^pasted-/ });
    await expect.poll(() => pasted.getAttribute("data-done")).toBe("true");
    await type(a, "pasted one");
    await expect.poll(() => messageWith(b, "pasted one").getByTestId("attachment-image").evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(1);

    // A type the engine refuses is said so, and nothing is sent with it.
    await a.getByTestId("file-input").setInputFiles({ name: "tool.exe", mimeType: "application/x-msdownload", buffer: Buffer.from("MZ") });
    await expect.poll(() => a.getByTestId("upload").filter({ hasText: "tool.exe" }).getAttribute("data-error")).toBe("true");
    expect(env.pageErrors).toEqual([]);
  });
});
