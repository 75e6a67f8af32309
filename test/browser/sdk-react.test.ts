/**
 * The React bindings (`@parley/client/react`) rendered by react-dom in
 * headless Chromium, in StrictMode, against the real engine:
 * `useConversation` shows history and live messages once each, the pending
 * outbox and who is typing; `useInbox` the list with unread counts;
 * `usePresence` a contact coming online, choosing `busy`, going offline
 * with `last_seen_at`, and (on a fresh page) the inbox snapshot's last seen;
 * `useTopic` a topic's events; `useConnectionStatus` the status; and
 * unmounting the last user of a conversation disconnects it.
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
import { useConnectionStatus, useConversation, useInbox, usePresence, useTopic } from "@sdk/react";

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

function Seen({ client, userId }: { client: ParleyClient; userId: string }) {
  const p = usePresence(client, userId);
  return <span id="seen">{p ? \`\${p.status}\${p.last_seen_at ? "@seen" : ""}\` : "unknown"}</span>;
}

function Feed({ client, name }: { client: ParleyClient; name: string }) {
  const { events, status, lastSeq } = useTopic(client, name);
  return <ul id="feed" data-status={status} data-last={lastSeq ?? ""}>{events.map((e) => <li key={e.seq}>{e.seq}:{JSON.stringify(e.data)}</li>)}</ul>;
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
w.mountPresence = (baseUrl: string, token: string, other: string, topic: string) => {
  const client = new ParleyClient({ baseUrl, token, storage: null, presence: { autoAwayMs: false } });
  root = createRoot(document.getElementById("root")!);
  root.render(
    <StrictMode>
      <Seen client={client} userId={other} />
      <Feed client={client} name={topic} />
    </StrictMode>,
  );
};
w.unmount = () => root?.unmount();
w.ready = true;
`;

const TOPICS_API_KEY = "sdk-react-topics-key-0123456789abcdef";
let engine: Engine;
let proxy: SdkProxy;
let browser: Browser;
const nodeClients: ParleyClient[] = [];

beforeAll(async () => {
  engine = await Engine.start({ vars: { TOPICS_API_KEY, PRESENCE_OFFLINE_DELAY_MS: "2000" } });
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

  it("usePresence gives a contact's chosen status and last seen, live and from the snapshot of a fresh page; useTopic gives a topic's events", async () => {
    const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    const b = new ParleyClient({ baseUrl: engine.url, token: bob, WebSocket, storage: null, presence: { autoAwayMs: false } });
    nodeClients.push(b);
    await b.api.createDirect(alice.user.username);
    const topic = `feed:${uniqueName("react")}`;
    const backend = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${engine.url}/v1/topics/${encodeURIComponent(topic)}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOPICS_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    };
    await backend("PUT", "", { access: "public", coalesce_ms: 50 });

    const open = async () => {
      const page = await browser.newPage();
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(proxy.url);
      await page.waitForFunction(() => (window as any).ready === true);
      await page.evaluate(([base, token, other, name]) => (window as any).mountPresence(base, token, other, name), [proxy.url, alice.access_token, bob.user.id, topic] as const);
      return page;
    };
    const errors: string[] = [];
    const page = await open();
    await until("the topic subscribed", async () => (await page.locator("#feed").getAttribute("data-status")) === "connected");

    const bobInbox = b.inbox().connect();
    await until("bob online", async () => (await text(page, "#seen")) === "online");
    await b.api.setPresence("busy");
    await until("bob busy", async () => (await text(page, "#seen")) === "busy");

    for (const n of [1, 2, 3]) await backend("POST", "/events", { n });
    await until("three events", async () => (await texts(page, "#feed li")).length === 3);
    expect(await texts(page, "#feed li")).toEqual(['1:{"n":1}', '2:{"n":2}', '3:{"n":3}']);
    expect(await page.locator("#feed").getAttribute("data-last")).toBe("3");

    // Bob's last inbox socket closes: after the offline delay (2 s here) he is offline, with when he was last seen.
    bobInbox.destroy();
    await until("bob offline with last seen", async () => (await text(page, "#seen")) === "offline@seen");

    // A fresh page learns it from the inbox snapshot, with no presence frame about bob to come.
    const fresh = await open();
    await until("the snapshot's last seen", async () => (await text(fresh, "#seen")) === "offline@seen");
    expect(errors).toEqual([]);
    await page.close();
    await fresh.close();
  });
});
