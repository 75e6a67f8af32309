/**
 * Membership changes of a conversation, with their effects: storage, the
 * frames to connected members, the inboxes, notifications, closing the
 * sockets of people who lost access. The rules themselves (who may do what)
 * are the pure functions of members.ts; the actor calls these inside its
 * member check, so each runs as one synchronous step of the actor, and the
 * writes of each commit together (`store.transaction`).
 */
import { CloseCode, ParleyError, errorBody, type ConversationView, type Member } from "../protocol/index.ts";
import { notificationId } from "../shared/ids.ts";
import type { Logger } from "../shared/log.ts";
import type { InboxFanout } from "./fanout.ts";
import { PRESENCE_FANOUT_MAX_MEMBERS, checkAdd, checkRemove, checkRetitle, planRoleChange } from "./members.ts";
import type { OutboxStore } from "./outbox-store.ts";
import type { Room } from "./room.ts";
import { encode, encodeError, sendText } from "./sockets.ts";
import type { ConversationStore } from "./store.ts";

export interface MembershipContext {
  store: ConversationStore;
  outbox: OutboxStore;
  fanout: InboxFanout;
  room: Room;
  maxMembers: number;
  /** Brings the alarm forward to `at` (deliveries). */
  schedule(at: number): void;
  log: Logger;
}

/** Adds members (groups; admins and the owner). Already present ones are left as they are. */
export function addMembers(cx: MembershipContext, actor: Member, members: Member[]): { conversation: ConversationView; added: Member[] } {
  const { store, room } = cx;
  const fresh = members.filter((m) => !store.member(m.user_id));
  checkAdd(store.meta!.kind, actor.role, store.memberCount, fresh.length, cx.maxMembers);
  const now = Date.now();
  const conversationId = store.meta!.conversationId;
  const added = store.transaction(() => {
    const added = store.addMembers(fresh.map((m) => ({ ...m, role: "member" as const })), now);
    for (const m of added) {
      cx.outbox.enqueueNotification({ id: notificationId(conversationId, store.lastSeq, "added", now), user_id: m.user_id, kind: "added", seq: store.lastSeq, created_at: now });
    }
    // The newcomers' inboxes (and, in small rooms, everyone's member list) learn it from the next sweep.
    if (added.length > 0) store.bumpVersion(true);
    return added;
  });
  for (const m of added) room.broadcast(encode("member.joined", m));
  if (added.length > 0) {
    cx.schedule(now);
    cx.schedule(cx.fanout.changed(now));
    cx.log("info", "members.added", { user_id: actor.user_id, count: added.length });
  }
  return { conversation: store.view(), added };
}

/** Removes a member, or lets one leave (`actor` is the target): their sockets close with `removed`. */
export function removeMember(cx: MembershipContext, actor: Member, targetId: string): { conversation: ConversationView } {
  const { store, room } = cx;
  const target = requireMember(store, targetId);
  checkRemove(store.meta!.kind, { id: actor.user_id, role: actor.role }, { id: targetId, role: target.role }, store.memberCount);
  const now = Date.now();
  // Only small rooms give their member list to the inboxes (for presence): only they need a sweep.
  const everyone = store.memberCount <= PRESENCE_FANOUT_MAX_MEMBERS + 1;
  store.transaction(() => {
    store.removeMember(targetId);
    // The one who left learns it from their own row (the sweep no longer reaches them).
    cx.fanout.owe([targetId], now);
    if (everyone) store.bumpVersion(true);
  });
  for (const [ws, st] of room.open(targetId)) {
    room.close(ws, st, CloseCode.FORBIDDEN, "removed", { reason: "removed", retry: false });
  }
  room.broadcast(encode("member.left", { user_id: targetId, username: target.username, role: target.role }));
  cx.schedule(now);
  if (everyone) cx.schedule(cx.fanout.changed(now));
  cx.log("info", "members.removed", { user_id: actor.user_id, target_id: targetId });
  return { conversation: store.view() };
}

/**
 * Changes a member's role; giving "owner" hands the group over. Version 1
 * has no frame for a role change: clients see roles in the conversation view
 * (GET, conversation.joined) and their inbox.
 */
export function setRole(cx: MembershipContext, actor: Member, targetId: string, role: Member["role"]): { conversation: ConversationView } {
  const { store } = cx;
  const target = requireMember(store, targetId);
  const changes = planRoleChange(store.meta!.kind, { id: actor.user_id, role: actor.role }, { id: targetId, role: target.role }, role);
  if (changes.length > 0) {
    const now = Date.now();
    store.transaction(() => {
      for (const change of changes) store.setRole(change.user_id, change.role);
      cx.fanout.owe(changes.map((c) => c.user_id), now);
    });
    cx.schedule(now);
  }
  return { conversation: store.view() };
}

/** Renames a group; every member's inbox learns it. */
export function setTitle(cx: MembershipContext, actor: Member, title: string): { conversation: ConversationView } {
  checkRetitle(cx.store.meta!.kind, actor.role);
  cx.store.transaction(() => {
    cx.store.setTitle(title);
    cx.store.bumpVersion(true);
  });
  cx.schedule(cx.fanout.changed(Date.now()));
  return { conversation: cx.store.view() };
}

/**
 * Records that `blocker` blocks (or unblocks) `blocked` in this direct
 * conversation, whether or not it was ever opened. The blocked user's inbox
 * drops (or gets back) the conversation, and their open sockets close at once.
 */
export function setBlock(cx: MembershipContext, blocker: string, blocked: string, on: boolean): { blocked: boolean } {
  const { store, room } = cx;
  const now = Date.now();
  store.transaction(() => {
    store.setBlock(blocker, blocked, on, now);
    if (store.meta && store.member(blocked)) cx.fanout.owe([blocked], now);
  });
  if (store.meta && store.member(blocked)) cx.schedule(now);
  if (on) {
    for (const [ws, st] of room.open(blocked)) {
      sendText(ws, encodeError(errorBody("forbidden", "You can no longer write in this conversation.")));
      room.close(ws, st, CloseCode.FORBIDDEN, "blocked");
    }
  }
  cx.log("info", on ? "block.added" : "block.removed", { user_id: blocker, target_id: blocked });
  return { blocked: on };
}

function requireMember(store: ConversationStore, userId: string): Member {
  const m = store.member(userId);
  if (!m) throw new ParleyError("not_found", "That user is not a member of this conversation.");
  return m;
}
