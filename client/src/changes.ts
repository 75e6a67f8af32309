/**
 * Edits, deletions and reactions of one conversation handle (protocol
 * §22.5). Each is a request over the socket, answered by a `change.ack` or an
 * `error` with its rid; while the handle polls, a REST call with the same
 * idempotency and the same answer. Changes are never queued: one that cannot
 * go out now fails at once with `disconnected`, and the caller may try again.
 */
import { describeIssue, type ChangeAck, type ErrorBody } from "../../src/protocol/index.ts";
import type { ParleyApi } from "./rest.ts";

/** A change the server refused (or that could not be sent): its code, from the contract's closed set. */
export class ChangeError extends Error {
  constructor(
    readonly code: ErrorBody["code"] | "disconnected",
    message: string,
  ) {
    super(message);
    this.name = "ChangeError";
  }
}

/** The frame types of a change. */
export type ChangeType = "message.edit" | "message.delete" | "reaction.add" | "reaction.remove";
type ChangeData = { seq: number; body?: string; reaction?: string };
type Schema = { safeParse(v: unknown): { success: true; data: unknown } | { success: false; error: { issues: Parameters<typeof describeIssue>[0] } } };

/** What the changes of a handle go through. */
export interface ChangeChannel {
  conversationId: string;
  /** The REST API while the handle polls instead of holding a live socket; else undefined. */
  restWhilePolling(): ParleyApi | undefined;
  live(): boolean;
  /** Sends a frame; false when the socket could not take it. */
  send(type: string, data: unknown, rid: string): boolean;
}

/** The changes sent and waiting for their answer, by rid. */
export class PendingChanges {
  readonly #waiting = new Map<string, { resolve: (ack: ChangeAck) => void; reject: (e: ChangeError) => void }>();
  readonly #channel: ChangeChannel;
  #rid = 0;

  constructor(channel: ChangeChannel) {
    this.#channel = channel;
  }

  /** Sends a change checked against its schema; resolves with its `change.ack`. */
  request(type: ChangeType, schema: Schema, data: ChangeData): Promise<ChangeAck> {
    const parsed = schema.safeParse(data);
    if (!parsed.success) return Promise.reject(new TypeError(`Parley: ${type}: ${describeIssue(parsed.error.issues)}.`));
    const api = this.#channel.restWhilePolling();
    if (api) return overRest(api, this.#channel.conversationId, type, parsed.data as ChangeData);
    if (!this.#channel.live()) {
      return Promise.reject(new ChangeError("disconnected", `Parley: ${type} needs a live connection (status "connected").`));
    }
    const rid = `c${++this.#rid}`;
    return new Promise<ChangeAck>((resolve, reject) => {
      this.#waiting.set(rid, { resolve, reject });
      if (!this.#channel.send(type, parsed.data, rid)) {
        this.#waiting.delete(rid);
        reject(new ChangeError("disconnected", `Parley: ${type} could not be sent.`));
      }
    });
  }

  /** A `change.ack`: settles the change it answers, if it is one of these. */
  acked(rid: string | undefined, ack: ChangeAck): void {
    const waiting = rid === undefined ? undefined : this.#waiting.get(rid);
    if (!waiting || rid === undefined) return;
    this.#waiting.delete(rid);
    waiting.resolve(ack);
  }

  /** An `error` frame: true when it answered one of these changes (then refused). */
  refused(rid: string | undefined, error: ErrorBody): boolean {
    const waiting = rid === undefined ? undefined : this.#waiting.get(rid);
    if (!waiting || rid === undefined) return false;
    this.#waiting.delete(rid);
    waiting.reject(new ChangeError(error.code, error.message));
    return true;
  }

  /** The socket is gone: every change still waiting fails with `disconnected`. */
  disconnected(): void {
    for (const [rid, waiting] of this.#waiting) waiting.reject(new ChangeError("disconnected", `The connection closed before the answer to ${rid}.`));
    this.#waiting.clear();
  }
}

async function overRest(api: ParleyApi, conversationId: string, type: ChangeType, data: ChangeData): Promise<ChangeAck> {
  try {
    switch (type) {
      case "message.edit":
        return await api.editMessage(conversationId, data.seq, data.body ?? "");
      case "message.delete":
        return await api.deleteMessage(conversationId, data.seq);
      default:
        return await api.react(conversationId, data.seq, data.reaction ?? "", type === "reaction.add");
    }
  } catch (err) {
    const code = (err as { code?: ErrorBody["code"] }).code;
    throw new ChangeError(code ?? "disconnected", err instanceof Error ? err.message : String(err));
  }
}
