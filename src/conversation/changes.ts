/**
 * Changes to messages already sent: edits, deletions, reactions (protocol
 * v1.1). Each is answered like a send — `change.ack` to the requester after
 * the commit, then `message.updated` to every live socket — and each is
 * idempotent: a change that changes nothing (the same body, a deletion of a
 * tombstone, a reaction already there or already gone) writes nothing, takes
 * no `rev` and answers `duplicate: true`.
 *
 * Every change takes the next `rev` (messages.ts, decision 0014), so a
 * client that rejoins with `after_rev` gets it exactly once.
 */
import { MAX_REACTIONS_PER_MESSAGE, ParleyError, type ChangeAck, type Member, type Message } from "../protocol/index.ts";
import type { Rate } from "../shared/config.ts";
import { takeToken, type Bucket } from "../shared/rules.ts";
import { mentionedIds } from "./members.ts";
import type { AttachmentStore } from "./attachments.ts";
import type { MessageRow } from "./messages.ts";
import type { Room } from "./room.ts";
import { encode, sendText } from "./sockets.ts";
import type { ConversationStore } from "./store.ts";

export interface ChangeContext {
  store: ConversationStore;
  attachments: AttachmentStore;
  room: Room;
  /** Changes draw from the sender's send budget: an edit or a reaction costs what a message costs. */
  sendRate: Rate;
  buckets: Map<string, Bucket>;
  /** After a commit: the message as it is now (files of a deleted message go, the inbox learns of a changed last message). */
  committed(message: Message, kind: "edit" | "delete" | "reaction"): void;
}

export type Change =
  | { kind: "edit"; seq: number; body: string }
  | { kind: "delete"; seq: number }
  | { kind: "reaction.add"; seq: number; reaction: string }
  | { kind: "reaction.remove"; seq: number; reaction: string };

/** Applies one change for `actor`; answers the requesting socket, if any, and broadcasts. */
export function applyChange(cx: ChangeContext, actor: Member, change: Change, ws?: WebSocket, rid?: string): ChangeAck {
  const { store } = cx;
  const row = store.messages.row(change.seq);
  if (!row) throw new ParleyError("not_found", `No message ${change.seq} in this conversation.`);
  check(store, actor, row, change);
  if (unchanged(cx, actor, row, change)) return answer({ seq: row.seq, rev: row.rev, duplicate: true }, ws, rid);
  spendToken(cx, actor.user_id);

  const now = Date.now();
  const rev = store.messages.nextRev();
  switch (change.kind) {
    case "edit": {
      const mentions = mentionedIds(change.body, [...store.members()]);
      store.messages.edit(row.seq, change.body, mentions.length > 0 ? mentions : undefined, now, rev);
      break;
    }
    case "delete":
      // The tombstone and the fate of its files commit together; the alarm deletes the files.
      store.transaction(() => {
        store.messages.tombstone(row.seq, now, rev);
        cx.attachments.doomMessage(row.seq, now);
      });
      break;
    case "reaction.add":
      store.transaction(() => store.messages.addReaction(row.seq, actor.user_id, change.reaction, now, rev));
      break;
    case "reaction.remove":
      store.transaction(() => store.messages.removeReaction(row.seq, actor.user_id, change.reaction, rev));
      break;
  }
  const message = store.messages.at(row.seq)!;
  store.messages.changed(rev, message);
  const ack = answer({ seq: row.seq, rev, duplicate: false }, ws, rid);
  cx.room.broadcastLive(encode("message.updated", { message }));
  cx.committed(message, change.kind === "edit" ? "edit" : change.kind === "delete" ? "delete" : "reaction");
  return ack;
}

/** Who may make the change, on what: the rules, before anything is written. */
function check(store: ConversationStore, actor: Member, row: MessageRow, change: Change): void {
  const deleted = row.deleted_at !== null;
  switch (change.kind) {
    case "edit":
      if (row.sender_id !== actor.user_id) throw new ParleyError("forbidden", "Only the sender can edit a message.");
      if (deleted) throw new ParleyError("conflict", "This message was deleted.");
      return;
    case "delete": {
      const moderator = store.meta?.kind === "group" && (actor.role === "owner" || actor.role === "admin");
      if (row.sender_id !== actor.user_id && !moderator) {
        throw new ParleyError("forbidden", "Only the sender, or an owner or admin of a group, can delete a message.");
      }
      return;
    }
    case "reaction.add":
      if (deleted) throw new ParleyError("conflict", "This message was deleted.");
      return;
    case "reaction.remove":
      return;
  }
}

/** True when the change would change nothing (it is then acknowledged as a duplicate); refuses a reaction past the cap. */
function unchanged(cx: ChangeContext, actor: Member, row: MessageRow, change: Change): boolean {
  switch (change.kind) {
    case "edit":
      return row.body === change.body;
    case "delete":
      return row.deleted_at !== null;
    case "reaction.add": {
      const state = cx.store.messages.reactionState(row.seq, actor.user_id, change.reaction);
      if (state.has) return true;
      if (!state.exists && state.distinct >= MAX_REACTIONS_PER_MESSAGE) {
        throw new ParleyError("conflict", `A message carries at most ${MAX_REACTIONS_PER_MESSAGE} different reactions.`);
      }
      return false;
    }
    case "reaction.remove":
      return !cx.store.messages.reactionState(row.seq, actor.user_id, change.reaction).has;
  }
}

function spendToken(cx: ChangeContext, userId: string): void {
  const taken = takeToken(cx.buckets.get(userId), Date.now(), cx.sendRate);
  cx.buckets.set(userId, taken.bucket);
  if (!taken.ok) {
    throw new ParleyError("rate_limited", `At most ${cx.sendRate.messages} messages and changes per ${cx.sendRate.per_ms / 1000} s.`, { retryAfterMs: taken.retryAfterMs });
  }
}

function answer(ack: ChangeAck, ws: WebSocket | undefined, rid: string | undefined): ChangeAck {
  if (ws) sendText(ws, encode("change.ack", ack, rid));
  return ack;
}
