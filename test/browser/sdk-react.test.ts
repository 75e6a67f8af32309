/**
 * The React bindings (`@parley/client/react`) rendered by react-dom in
 * headless Chromium, in StrictMode, against the real engine:
 * `useConversation` shows history and live messages once each, the pending
 * outbox and who is typing; `useInbox` the list with unread counts;
 * `usePresence` a contact coming online; `useConnectionStatus` the status;
 * and unmounting the last user of a conversation disconnects it.
 */
import type { Browser, Page } from "playwright-core";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParleyApi, ParleyClient } from "../../client/src/index.ts";
import type { SdkProxy } from "../e2e/sdk-proxy.ts";
import { uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";
import { launchChromium, servePage } from "./sdk-page.ts";

const PAGE = `
import { StrictMode } from "react";
import { createRoot, type Root } from "react-dom/client";
import { ParleyClient } from "@sdk";
import { useConnectionStatus, useConversation, useInbox, usePresence } from "@sdk/react";

function Chat({ client, id }: { client: ParleyClient; id: string }) {
  const { messages, pending, typing, send, markRead } = useConversation(client, id);
  return (
    <section id="chat">
      <ul>{messages.map((m) => <li key={m.seq} className="msg">{m.seq}:{m.body}</li>)}</ul>
      <span id="pending">{pending.length}</span>
      <span id="typing">{typing.join(",")}</span>
      <button id="send" onClick={() => send("from react")}>send</button>
      <button id="read" onClick={() => markRead(messages.at(-1)?.seq ?? 0)}>read</button>
    </section>
  );
}

function Status({ client, id }: { client: ParleyClient; id: string }) {
  return <span id="status">{useConnectionStatus(client.conversation(id))}</span>;
}

function Inbox({ client }: { client: ParleyClient }) {
  const { conversations, status } = useInbox(client);
  return <ul id="inbox" data-status={status}>{conversations.map((c) => <li key={c.id}>{c.id}={c.unread}</li>)}</ul>;
}

function Presence({ client, userId }: { client: ParleyClient; userId: string }) {
  return <span id="presence">{usePresence(client, userId)?.status ?? "unknown"}</span>;
}

const w = window as any;
let root: Root | undefined;
w.mount = (baseUrl: string, token: string, id: string, other: string) => {
  const client = new ParleyClient({ baseUrl, token, storage: null });
  w.client = client;
  root = createRoot(document.getElementById("root")!);
  root.render(
    <StrictMode>
      <Status client={client} id={id} />
      <Chat client={client} id={id} />
      <Inbox client={client} />
      <Presence client={client} userId={other} />
    </StrictMode>,
  );
};
w.unmount = () => root?.unmount();
w.ready = true;
`;

let engine: Engine;
let proxy: SdkProxy;
let browser: Browser;
const nodeClients: ParleyClient[] = [];

beforeAll(async () => {
  engine = await Engine.start();
  proxy = await servePage(engine.url, PAGE);
  browser = await launchChromium();
});

afterAll(async () => {
  for (const c of nodeClients) c.destroy();
  await browser?.close();
  await proxy?.stop();
  await engine?.stop();
});

const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();
const text = (page: Page, selector: string) => page.locator(selector).textContent();

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the React bindings in Chromium", () => {
  it("render a conversation, the inbox, presence and the status, live, and disconnect when unmounted", async () => {
    const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    const b = new ParleyClient({ baseUrl: engine.url, token: bob, WebSocket, storage: null });
    nodeClients.push(b);
    const { id } = await b.api.createDirect(alice.user.username);
    await b.api.send(id, "hi");
    await b.api.send(id, "there");

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(proxy.url);
    await page.waitForFunction(() => (window as any).ready === true);
    await page.evaluate(([base, token, c, other]) => (window as any).mount(base, token, c, other), [proxy.url, alice.access_token, id, bob.user.id] as const);

    await until("connected with the history", async () => (await text(page, "#status")) === "connected" && (await texts(page, ".msg")).length === 2);
    expect(await texts(page, ".msg")).toEqual(["1:hi", "2:there"]);
    await until("the inbox lists the conversation with 2 unread", async () => (await texts(page, "#inbox li")).includes(`${id}=2`));
    expect(await page.locator("#inbox").getAttribute("data-status")).toBe("connected");

    // Bob comes online (his inbox socket) and types; then writes.
    b.inbox().connect();
    const chatB = b.conversation(id).connect();
    await until("bob is online", async () => (await text(page, "#presence")) === "online");
    await until("bob connected", async () => chatB.status === "connected");
    chatB.typing(true);
    await until("bob is typing", async () => (await text(page, "#typing")) === bob.user.id);
    chatB.send("live");
    await until("the live message", async () => (await texts(page, ".msg")).length === 3);

    await page.click("#send");
    await until("sent and acked", async () => (await texts(page, ".msg")).at(-1) === "4:from react" && (await text(page, "#pending")) === "0");
    expect(await texts(page, ".msg")).toEqual(["1:hi", "2:there", "3:live", "4:from react"]);
    await page.click("#read");
    await until("nothing unread", async () => (await texts(page, "#inbox li")).includes(`${id}=0`));

    // Unmounted, the conversation's last user is gone: its handle disconnects.
    await page.evaluate(() => (window as any).unmount());
    await until("disconnected", async () => (await page.evaluate((c) => (window as any).client.conversation(c).status, id)) === "disconnected");
    expect(errors).toEqual([]);
    await page.close();
  });
});
