/**
 * Helpers for tests that run inside workerd (Vitest Workers pool). They talk
 * to the real Worker through `SELF` and to real actors; nothing is mocked.
 *
 * To extend: add a function here only when three or more test files need it;
 * keep each helper a thin wrapper over one protocol step, so the tests still
 * read as the protocol.
 */
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { FORWARDED } from "../../src/shared/sockets.ts";
import { Client, type AnyFrame } from "../support/client.ts";

export { Client };

const BASE = "https://parley.test";
let counter = 0;

/** A username no other test uses. */
export function uniqueName(prefix = "user"): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}${Math.floor(Math.random() * 1e4)}`.slice(0, 32);
}

export interface Session {
  token: string;
  userId: string;
  username: string;
}

export function randomIp(): string {
  return `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
}

export async function login(username = uniqueName()): Promise<Session> {
  const res = await SELF.fetch(`${BASE}/v1/auth/dev-login`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": randomIp() },
    body: JSON.stringify({ username }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string; user: { id: string; username: string } };
  return { token: body.access_token, userId: body.user.id, username: body.user.username };
}

export async function api(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await SELF.fetch(`${BASE}${path}`, {
    method,
    headers: {
      // Each call comes from its own address, as many real clients would, so
      // the per-IP limit of the auth endpoints only bites where a test means it.
      "cf-connecting-ip": randomIp(),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON; leave the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function createDirect(a: Session, b: Session): Promise<string> {
  const res = await api("POST", "/v1/conversations", a.token, { kind: "direct", with: b.username });
  expect([200, 201]).toContain(res.status);
  return res.body.conversation.id as string;
}

export async function createGroup(owner: Session, members: Session[], title = "group"): Promise<string> {
  const res = await api("POST", "/v1/conversations", owner.token, {
    kind: "group", title, members: members.map((m) => m.username),
  });
  expect(res.status).toBe(201);
  return res.body.conversation.id as string;
}

type SocketOptions = { query?: boolean; headers?: Record<string, string> };
type Upgrade = { client?: Client; status: number; body?: any; headers: Headers };

/** Opens a socket route; returns the HTTP answer (body parsed when JSON) when it is not an upgrade. */
async function upgrade(path: string, token: string | undefined, options: SocketOptions): Promise<Upgrade> {
  const url = new URL(`${BASE}${path}`);
  const headers: Record<string, string> = { upgrade: "websocket", ...options.headers };
  if (token && options.query) url.searchParams.set("access_token", token);
  else if (token) headers.authorization = `Bearer ${token}`;
  const res = await SELF.fetch(url, { headers });
  if (!res.webSocket) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // leave the text
    }
    return { status: res.status, body, headers: res.headers };
  }
  res.webSocket.accept();
  return { client: new Client(res.webSocket), status: res.status, headers: res.headers };
}

/** Opens the conversation socket; returns the HTTP response when it is not an upgrade. */
export function openSocket(token: string | undefined, conversationId: string, options: SocketOptions = {}): Promise<Upgrade> {
  return upgrade(`/v1/conversations/${conversationId}/ws`, token, options);
}

/**
 * Until the user's inbox lists a conversation (its first sweep, some
 * milliseconds after the creation or the join). The inbox's list is where
 * the User actor finds the conversations whose sockets a suspension or the
 * end of a session closes.
 */
export async function listed(token: string, id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const list = await api("GET", "/v1/conversations", token);
    if ((list.body.conversations as Array<{ id: string }>).some((c) => c.id === id)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} never reached the inbox`);
}

/** The user's inbox forgets a conversation, as in the moments between a join and the conversation's first inbox update. */
export async function unlisted(userId: string, id: string): Promise<void> {
  await runInDurableObject(env.USER.get(env.USER.idFromName(userId)), (_instance, state) => {
    state.storage.sql.exec("DELETE FROM conversations WHERE id = ?", id);
  });
}

/**
 * An upgrade as the Worker forwards it, sent straight to an actor's stub:
 * what a Worker isolate whose cached standing of the user predates a
 * suspension or a signed-out session would forward (worker/standing.ts).
 */
export function forwardedUpgrade(stub: { fetch(url: string, init: RequestInit): Promise<Response> }, session: Session): Promise<Response> {
  const claims = JSON.parse(atob(session.token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))) as { exp: number; sid?: string };
  return stub.fetch("https://actor.internal/ws", {
    headers: {
      upgrade: "websocket",
      [FORWARDED.userId]: session.userId,
      [FORWARDED.username]: session.username,
      [FORWARDED.tokenExp]: String(claims.exp * 1000),
      ...(claims.sid ? { [FORWARDED.tokenSid]: claims.sid } : {}),
      [FORWARDED.requestId]: "r_forwarded_test",
    },
  });
}

/** Connects, says hello and joins; returns the client and the join answer. */
export async function joined(
  session: Session,
  conversationId: string,
  join: { after_seq?: number; after_rev?: number; limit?: number } = {},
): Promise<{ client: Client; joinedFrame: AnyFrame }> {
  const { client, status } = await openSocket(session.token, conversationId);
  expect(status).toBe(101);
  const hello = await client!.request("hello", { client: { name: "test", version: "1" } });
  expect(hello.type).toBe("hello.ack");
  const joinedFrame = await client!.request("conversation.join", join);
  expect(joinedFrame.type).toBe("conversation.joined");
  return { client: client!, joinedFrame };
}

/**
 * Evicts a conversation actor as a crash or a deploy would: its memory and
 * its sockets are gone, its storage stays. Asserts that a new instance
 * answers afterwards, so a test cannot pass on a restart that did not happen.
 */
export async function restartActor(conversationId: string): Promise<void> {
  const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
  const before = await runInDurableObject(stub, (instance) => instance);
  await runInDurableObject(stub, (_instance, state) => {
    state.abort("test restart");
  }).catch(() => undefined);
  const fresh = env.CONVERSATION.get(env.CONVERSATION.idFromName(conversationId));
  const after = await runInDurableObject(fresh, (instance) => instance);
  expect(after).not.toBe(before);
}

/** Opens the inbox socket; returns the HTTP answer when it is not an upgrade. */
export function openInbox(token: string | undefined, options: SocketOptions = {}): Promise<Upgrade> {
  return upgrade("/v1/inbox/ws", token, options);
}

/** Opens the inbox socket and says hello; returns the client after hello.ack and inbox.snapshot. */
export async function inbox(session: Session): Promise<{ client: Client; snapshot: any }> {
  const { client, status } = await openInbox(session.token);
  expect(status).toBe(101);
  const ack = await client!.request("hello", { client: { name: "test", version: "1" } });
  expect(ack.type).toBe("hello.ack");
  const snapshot = await client!.next("inbox.snapshot" as never);
  return { client: client!, snapshot: snapshot.data };
}

