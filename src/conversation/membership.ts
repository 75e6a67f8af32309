/**
 * Membership changes of a conversation, with their effects: storage, the
 * frames to connected members, the inbox outbox, notifications, closing the
 * sockets of people who lost access. The rules themselves (who may do what)
 * are the pure functions of members.ts; the actor calls these inside its
 * member check, so each runs as one synchronous step of the actor.
 */
import { CloseCode, ParleyError, errorBody, type ConversationView, type Member } from "../protocol/index.ts";
import type { LogFields } from "../shared/log.ts";
import { PRESENCE_FANOUT_MAX_MEMBERS, checkAdd, checkRemove, checkRetitle, planRoleChange } from "./members.ts";
import type { Room } from "./room.ts";
import { encode, encodeError, sendText } from "./sockets.ts";
import type { ConversationStore } from "./store.ts";

export interface MembershipContext {
  store: ConversationStore;
  room: Room;
  maxMembers: number;
  /** Schedules the delivery of outbox rows just marked dirty. */
  deliverSoon(): void;
  log(level: "info" | "warn" | "error", event: string, fields: LogFields): void;
}

/** Adds members (groups; admins and the owner). Already present ones are left as they are. */
export function addMembers(cx: MembershipContext, actor: Member, members: Member[]): { conversation: ConversationView; added: Member[] } {
  const { store, room } = cx;
  const fresh = members.filter((m) => !store.member(m.user_id));
  checkAdd(store.meta!.kind, actor.role, store.members().length, fresh.length, cx.maxMembers);
  const now = Date.now();
  const added = store.addMembers(fresh.map((m) => ({ ...m, role: "member" as const })), now);
  for (const m of added) {
    store.enqueueNotification({ id: `n:${store.meta!.conversationId}:${store.lastSeq}:added:${now}`, user_id: m.user_id, kind: "added", seq: store.lastSeq, created_at: now });
    room.broadcast(encode("member.joined", m), () => true);
  }
  if (added.length > 0) {
    changed(cx, added.map((m) => m.user_id));
    cx.log("info", "members.added", { user_id: actor.user_id, count: added.length });
  }
  return { conversation: store.view(), added };
}

/** Removes a member, or lets one leave (`actor` is the target): their sockets close with `removed`. */
export function removeMember(cx: MembershipContext, actor: Member, targetId: string): { conversation: ConversationView } {
  const { store, room } = cx;
  const target = requireMember(store, targetId);
  checkRemove(store.meta!.kind, { id: actor.user_id, role: actor.role }, { id: targetId, role: target.role }, store.members().length);
  store.removeMember(targetId);
  for (const [ws, st] of room.open(targetId)) {
    room.close(ws, st, CloseCode.FORBIDDEN, "removed", { reason: "removed", retry: false });
  }
  room.broadcast(encode("member.left", { user_id: targetId, username: target.username, role: target.role }), () => true);
  changed(cx, [targetId]);
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
  for (const change of changes) store.setRole(change.user_id, change.role);
  if (changes.length > 0) changed(cx, changes.map((c) => c.user_id));
  return { conversation: store.view() };
}

/** Renames a group; every member's inbox learns it. */
export function setTitle(cx: MembershipContext, actor: Member, title: string): { conversation: ConversationView } {
  checkRetitle(cx.store.meta!.kind, actor.role);
  cx.store.setTitle(title);
  cx.store.markDirty("members", Date.now());
  cx.deliverSoon();
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
  store.setBlock(blocker, blocked, on, now);
  if (store.meta && store.member(blocked)) {
    store.markDirty([blocked], now);
    cx.deliverSoon();
  }
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

/** After a membership change: the inboxes concerned learn it — everyone's, while member lists travel for presence. */
function changed(cx: MembershipContext, concerned: string[]): void {
  const ids = new Set(concerned);
  const members = cx.store.members();
  if (members.length <= PRESENCE_FANOUT_MAX_MEMBERS) for (const m of members) ids.add(m.user_id);
  cx.store.markDirty(ids, Date.now());
  cx.deliverSoon();
}
