/**
 * The REST calls the benchmarks need to set up users and conversations, and
 * the REST send they measure. Node's `fetch` keeps connections to 127.0.0.1
 * alive, so a measured call does not pay for a TCP handshake.
 */
import type { ErrorBody, MessageAck } from "../../src/protocol/index.ts";

export interface BenchUser {
  id: string;
  username: string;
  token: string;
}

export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly body: Partial<ErrorBody>,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.code ?? ""} ${body.message ?? ""}`.trim());
  }
}

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly timeoutMs: number,
  ) {}

  async login(username: string): Promise<BenchUser> {
    const body = await this.#call<{ access_token: string; user: { id: string; username: string } }>(
      "POST", "/v1/auth/dev-login", undefined, { username }, `dev-login ${username}`,
    );
    return { id: body.user.id, username: body.user.username, token: body.access_token };
  }

  /** The direct conversation of `me` and `other` (created, or the existing one). */
  async direct(me: BenchUser, other: string): Promise<string> {
    const body = await this.#call<{ conversation: { id: string } }>(
      "POST", "/v1/conversations", me.token, { kind: "direct", with: other }, `direct ${me.username}+${other}`,
    );
    return body.conversation.id;
  }

  /** A new group owned by `owner` with these members. */
  async group(owner: BenchUser, title: string, members: readonly string[]): Promise<string> {
    const body = await this.#call<{ conversation: { id: string; members: unknown[] } }>(
      "POST", "/v1/conversations", owner.token, { kind: "group", title, members }, `group ${title}`,
    );
    return body.conversation.id;
  }

  /** `POST /v1/conversations/{id}/members`: adds members by username (at most 100 per call). */
  async addMembers(owner: BenchUser, conversationId: string, usernames: readonly string[]): Promise<void> {
    await this.#call<unknown>("POST", `/v1/conversations/${conversationId}/members`, owner.token, { usernames }, `add ${usernames.length} members`);
  }

  /** `POST /v1/conversations/{id}/messages`; resolves with the ack fields, rejects with a RestError. */
  async send(user: BenchUser, conversationId: string, clientMsgId: string, text: string): Promise<MessageAck> {
    return this.#call<MessageAck>(
      "POST", `/v1/conversations/${conversationId}/messages`, user.token, { client_msg_id: clientMsgId, body: text }, "send",
    );
  }

  async #call<T>(method: string, path: string, token: string | undefined, body: unknown, what: string): Promise<T> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      const timedOut = e instanceof Error && e.name === "TimeoutError";
      throw new Error(timedOut ? `${what}: no answer within ${this.timeoutMs} ms` : `${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RestError(res.status, { message: `non-JSON body: ${text.slice(0, 200)}` }, what);
    }
    if (!res.ok) throw new RestError(res.status, parsed as Partial<ErrorBody>, what);
    return parsed as T;
  }
}
