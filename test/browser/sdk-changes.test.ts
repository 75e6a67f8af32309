/**
 * Messages that live, end to end (protocol v1.1): two people on the SDK in
 * Node, against the real engine, see each other's edits, deletions and
 * reactions live, and — for one of them, away while they happened — after a
 * reconnect, each change once, with the new messages in seq order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ParleyApi, ParleyClient, type Message } from "../../client/src/index.ts";
import { uniqueName } from "../support/e2e-helpers.ts";
import { Engine } from "../support/engine.ts";

let engine: Engine;
const clients: ParleyClient[] = [];

beforeAll(async () => {
  engine = await Engine.start();
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await engine?.stop();
});

const FAST = { BACKOFF_BASE_MS: 100, BACKOFF_MAX_MS: 1_000, CONNECT_TIMEOUT_MS: 10_000 };

async function until(what: string, predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("edits, deletions and reactions between two SDK clients", () => {
  it("are seen live, and after a reconnect each change arrives once", async () => {
    const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    const a = new ParleyClient({ baseUrl: engine.url, token: alice.access_token, WebSocket, timing: FAST, clientInfo: { name: "changes-test", version: "1" } });
    const b = new ParleyClient({ baseUrl: engine.url, token: bob.access_token, WebSocket, timing: FAST, clientInfo: { name: "changes-test", version: "1" } });
    clients.push(a, b);
    const conversation = await a.api.createDirect(bob.user.username);
    const chatA = a.conversation(conversation.id);
    const chatB = b.conversation(conversation.id);
    const messagesB: Message[] = [];
    const updatesB: Message[] = [];
    const updatesA: Message[] = [];
    chatB.on("message", (m) => messagesB.push(m));
    chatB.on("updated", (m) => updatesB.push(m));
    chatA.on("updated", (m) => updatesA.push(m));
    chatA.connect();
    chatB.connect();
    await until("both connected", () => chatA.status === "connected" && chatB.status === "connected");

    chatA.send("helo bob");
    chatA.send("second");
    await until("two messages on b", () => messagesB.length === 2);

    // Live.
    expect(await chatA.edit(1, "hello bob")).toMatchObject({ seq: 1, duplicate: false });
    await chatB.react(1, "👋");
    await until("b sees the edit, a sees the reaction", () => updatesB.some((m) => m.body === "hello bob") && updatesA.some((m) => m.reactions?.length === 1));
    expect(updatesA.find((m) => m.reactions)?.reactions).toEqual([{ reaction: "👋", count: 1, user_ids: [bob.user.id] }]);

    // Bob goes away; meanwhile Alice edits again, deletes, reacts, and writes.
    chatB.disconnect();
    await until("b disconnected", () => chatB.status !== "connected");
    const seenBefore = updatesB.length;
    await chatA.edit(1, "hello, Bob");
    await chatA.delete(2);
    await chatA.react(1, ":wave:");
    chatA.send("third");
    await until("a's third acked", () => chatA.pending.length === 0);

    chatB.connect();
    await until("b gets the third message", () => messagesB.length === 3);
    await until("b gets the changes", () => updatesB.slice(seenBefore).some((m) => m.seq === 2 && m.deleted_at !== undefined));
    await new Promise((r) => setTimeout(r, 300));
    const after = updatesB.slice(seenBefore);
    // Each changed message once, in its latest state; revs strictly increasing.
    expect(after.map((m) => m.seq).sort()).toEqual([1, 2]);
    const one = after.find((m) => m.seq === 1)!;
    expect(one.body).toBe("hello, Bob");
    expect(one.reactions?.map((r) => r.reaction)).toEqual(["👋", ":wave:"]);
    expect(after.find((m) => m.seq === 2)).toMatchObject({ body: "", seq: 2 });
    const revs = after.map((m) => m.rev!);
    expect(revs).toEqual([...revs].sort((x, y) => x - y));
    expect(messagesB.map((m) => m.seq)).toEqual([1, 2, 3]);
  });
});

describe("files and search through the SDK", () => {
  it("uploads a file, sends it with a message, downloads it on the other side, and finds messages", async () => {
    const alice = await ParleyApi.devLogin(engine.url, uniqueName("alice"));
    const bob = await ParleyApi.devLogin(engine.url, uniqueName("bob"));
    const a = new ParleyClient({ baseUrl: engine.url, token: alice.access_token, WebSocket, timing: FAST });
    const b = new ParleyClient({ baseUrl: engine.url, token: bob.access_token, WebSocket, timing: FAST });
    clients.push(a, b);
    const conversation = await a.api.createDirect(bob.user.username);
    const bytes = new TextEncoder().encode("the minutes of the meeting");
    const file = await a.api.upload(conversation.id, bytes, { name: "minutes.txt", contentType: "text/plain" });
    expect(file).toMatchObject({ name: "minutes.txt", content_type: "text/plain", size: bytes.length });

    const chatB = b.conversation(conversation.id);
    const received: Message[] = [];
    chatB.on("message", (m) => received.push(m));
    chatB.connect();
    const chatA = a.conversation(conversation.id).connect();
    await until("both connected", () => chatA.status === "connected" && chatB.status === "connected");
    chatA.send("minutes attached", { attachments: [file.id] });
    await until("b gets it", () => received.length === 1);
    expect(received[0]!.attachments).toEqual([file]);
    const blob = await b.api.download(conversation.id, file.id);
    expect(await blob.text()).toBe("the minutes of the meeting");

    const found = await b.api.search(conversation.id, "minutes");
    expect(found.results.map((r) => r.message.seq)).toEqual([1]);
  });
});
