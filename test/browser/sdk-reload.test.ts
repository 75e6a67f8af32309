/**
 * The SDK survives a reload, in Chromium: a page that saw a conversation
 * goes offline, a message is written, the page is closed; a new page of the
 * same browser profile opens on the cached history at once (IndexedDB),
 * resumes from its stored cursor (only what came later is replayed), and
 * sends the message written offline exactly once, under its original
 * `client_msg_id` — checked on the history REST route. A third page finds
 * the outbox empty and sends nothing again.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ParleyApi, ParleyClient } from "../../client/src/index.ts";
import type { SdkProxy } from "../e2e/sdk-proxy.ts";
import { uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";
import { launchChromium, servePage } from "./sdk-page.ts";

const PAGE = `
import { ParleyClient } from "@sdk";
const w = window as any;
w.parleyOpen = (baseUrl: string, token: string, id: string) => {
  const client = new ParleyClient({ baseUrl, token, timing: { BACKOFF_BASE_MS: 100, BACKOFF_MAX_MS: 500 } });
  const chat = client.conversation(id);
  const log = { restored: null as unknown, restoredPending: -1, messages: [] as unknown[], statuses: [] as string[], errors: [] as string[] };
  chat.on("restored", (r) => {
    log.restored = r.messages.map((m) => [m.seq, m.body]);
    log.restoredPending = chat.pending.length;
  });
  chat.on("message", (m) => log.messages.push({ seq: m.seq, body: m.body, id: m.client_msg_id }));
  chat.on("status", (s) => log.statuses.push(s));
  chat.on("error", (e) => log.errors.push(e.kind + ": " + e.message));
  chat.connect();
  w.chat = chat;
  w.log = log;
};
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

interface Log {
  restored: [number, string][] | null;
  restoredPending: number;
  messages: { seq: number; body: string; id: string }[];
  statuses: string[];
  errors: string[];
}

async function open(context: BrowserContext, token: string, id: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(proxy.url);
  await page.waitForFunction(() => (window as any).ready === true);
  await page.evaluate(([base, t, c]) => (window as any).parleyOpen(base, t, c), [proxy.url, token, id] as const);
  return page;
}

const log = (page: Page): Promise<Log> => page.evaluate(() => (window as any).log as Log);
const status = (page: Page): Promise<string> => page.evaluate(() => (window as any).chat.status as string);

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the SDK in Chromium across a reload", () => {
  it("a message written offline is sent once, with its original client_msg_id, by the reopened page, which opens on cached history and resumes from its cursor", async () => {
    const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    const b = new ParleyClient({ baseUrl: engine.url, token: bob, WebSocket, storage: null });
    nodeClients.push(b);
    const { id } = await b.api.createDirect(alice.user.username);
    for (const body of ["one", "two", "three"]) await b.api.send(id, body);

    const context = await browser.newContext();
    const first = await open(context, alice.access_token, id);
    await until("the first page has the three messages", async () => (await log(first)).messages.length === 3 && (await status(first)) === "connected");

    // Offline: the network is gone (and the proxy drops the open socket, as a dead network would).
    await context.setOffline(true);
    proxy.dropWebSockets();
    await until("the first page notices", async () => (await status(first)) !== "connected");
    const sent = await first.evaluate(async () => {
      const chat = (window as any).chat;
      const result = chat.send("written offline");
      await chat.flush();
      return result as { status: string; clientMsgId: string };
    });
    expect(sent.status).toBe("queued");
    await first.close();
    expect((await b.api.history(id)).messages.map((m) => m.body)).toEqual(["one", "two", "three"]);

    // While the tab is closed, bob writes again.
    await b.api.send(id, "while the tab was closed");
    await context.setOffline(false);

    const second = await open(context, alice.access_token, id);
    await until("the second page sent its message and got bob's", async () => (await log(second)).messages.length === 2 && (await second.evaluate(() => (window as any).chat.pending.length)) === 0);
    const seen = await log(second);
    expect(seen.restored).toEqual([[1, "one"], [2, "two"], [3, "three"]]);
    expect(seen.restoredPending).toBe(1);
    // Resumed after seq 3: nothing of the cached history is delivered again.
    expect(seen.messages.map((m) => [m.seq, m.body])).toEqual([[4, "while the tab was closed"], [5, "written offline"]]);
    expect(seen.messages[1]!.id).toBe(sent.clientMsgId);
    expect(seen.errors).toEqual([]);
    await second.evaluate(() => (window as any).chat.flush()); // what the SDK also does on pagehide
    await second.close();

    // A third page: everything cached, the outbox empty, nothing sent again.
    const third = await open(context, alice.access_token, id);
    await until("the third page is connected", async () => (await status(third)) === "connected");
    const again = await log(third);
    expect(again.restored?.map(([seq]) => seq)).toEqual([1, 2, 3, 4, 5]);
    expect(again.restoredPending).toBe(0);
    expect(again.messages).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    const history = await b.api.history(id);
    expect(history.messages.map((m) => m.body)).toEqual(["one", "two", "three", "while the tab was closed", "written offline"]);
    expect(history.messages.filter((m) => m.client_msg_id === sent.clientMsgId)).toHaveLength(1);
    await context.close();
  });
});
