/**
 * What operators do in a conversation (§22.18): read the messages around a
 * reported one, delete a message as its sender would, and close a suspended
 * user's sockets. The Worker lets only operators call these, and logs them.
 */
import { CloseCode, ParleyError, toParleyError, type ChangeAck, type ConversationView, type Message } from "../protocol/index.ts";
import type { Logger } from "../shared/log.ts";
import { ExpiringSet } from "../shared/rules.ts";
import { ENDED_SESSION_MEMORY_MS } from "../shared/sockets.ts";
import { suspendedError } from "../user/standing.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { applyChange, type ChangeContext } from "./changes.ts";
import type { Room } from "./room.ts";
import { noSuchConversation } from "./rules.ts";
import { encodeError, sendText } from "./sockets.ts";
import type { ConversationStore } from "./store.ts";

/** Messages around `seq` for an operator reviewing a report: read without membership. */
export function operatorContext(store: ConversationStore, seq: number, around: number): Result<{ conversation: ConversationView; messages: Message[] }> {
  if (!store.meta) return err(noSuchConversation());
  const before = store.page({ direction: "backward", before: seq, limit: around }).messages;
  const after = store.page({ direction: "forward", after: seq - 1, before: undefined, limit: around + 1 }).messages;
  return ok({ conversation: store.view(), messages: [...before, ...after] });
}

/** Deletes a message as an operator (a tombstone, as a deletion by its sender, §22.5). */
export function operatorDelete(changes: ChangeContext, log: Logger, operatorId: string, seq: number): Result<ChangeAck> {
  const store = changes.store;
  if (!store.meta) return err(noSuchConversation());
  const message = store.messageAt(seq);
  if (!message) return err(new ParleyError("not_found", `No message ${seq} in this conversation.`));
  try {
    // As its sender: the rules of §22.5 let a sender delete their own message in any conversation.
    const sender = store.member(message.sender_id) ?? { user_id: message.sender_id, username: "", role: "member" as const };
    const ack = applyChange({ ...changes, buckets: new Map() }, sender, { kind: "delete", seq });
    log("info", "operator.message_deleted", { user_id: operatorId, seq });
    return ok(ack);
  } catch (e) {
    return err(toParleyError(e));
  }
}

/** Closes every socket of a suspended user here (4003). */
export function closeUserSockets(room: Room, userId: string): { closed: number } {
  let closed = 0;
  for (const [ws, st] of room.open(userId)) {
    sendText(ws, encodeError(suspendedError().toBody()));
    room.close(ws, st, CloseCode.FORBIDDEN, "suspended");
    closed++;
  }
  return { closed };
}

/**
 * Users whose sockets a suspension closed here lately. A Worker isolate may
 * hold the user's standing from before the suspension for a few seconds
 * (worker/standing.ts), so for ENDED_SESSION_MEMORY_MS an upgrade of theirs
 * asks their User actor first; after that the Worker's own check suffices.
 */
export class RecentSuspensions {
  readonly #users = new ExpiringSet(ENDED_SESSION_MEMORY_MS);

  note(userId: string): void {
    this.#users.add(userId);
  }

  /** The refusal of an upgrade by a user suspended lately and still suspended; undefined otherwise. */
  async refusal(userId: string, standing: () => Promise<{ suspended: boolean }>): Promise<ParleyError | undefined> {
    if (!this.#users.has(userId)) return undefined;
    return (await standing()).suspended ? suspendedError() : undefined;
  }
}
