/**
 * Membership changes of a conversation, with their effects: storage, the
 * frames to connected members, the inboxes, notifications, closing the
 * sockets of people who lost access. The rules themselves (who may do what)
 * are the pure functions of members.ts; the actor calls these inside its
 * member check, so each runs as one synchronous step of the actor, and the
 * writes of each commit together (`store.transaction`).
 */
import { CloseCode, ParleyError, errorBody, type ConversationView, type Member } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import { notificationId } from "../shared/ids.ts";
import { describeError, type Logger } from "../shared/log.ts";
import { unwrap, type Result } from "../shared/result.ts";
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
  /**
   * Asks `userId`'s User actor whether `adderId` may add them to group
   * `conversationId`, with an admission valid until `until` (`User.admitToGroup`).
   */
  admit(userId: string, adderId: string, conversationId: string, until: number): Promise<Result<{ expires_at: number }>>;
  /** Spends `adderId`'s budget of group creations and people added (`User.spendGroupBudget`). */
  spend(adderId: string, action: "create" | "add", people: number): Promise<Result<unknown>>;
  /** Records a webhook event in the transaction of the change (webhooks/hooks.ts); writes nothing without subscribers. */
  event?(type: "member.joined" | "member.left", data: Record<string, unknown>): void;
}

/** Admission questions in flight at once. */
const ADMIT_CONCURRENCY = 100;
/** A User actor that has not answered by then fails the whole add (`internal`, retryable). */
const ADMIT_TIMEOUT_MS = 3000;

/**
 * How long the admissions of one add or creation of `people` stay valid:
 * the add must commit before then, and a block of the adder placed
 * meanwhile waits that long at most (decision 0013). Long enough for a
 * thousand questions 100 at a time on a busy machine, short enough for a
 * block to wait: 5 s, and 10 ms more per person, at most 15 s. (The User
 * actor refuses to hold one longer than MAX_ADMISSION_MS, group-access.ts.)
 */
export function admissionWindow(people: number): number {
  return Math.min(15_000, 5000 + 10 * people);
}

/** Who of `members` an add by `actor` would add now; throws when the rules refuse it (role, kind, size). */
export function planAdd(cx: MembershipContext, actor: Member, members: Member[]): Member[] {
  const fresh = members.filter((m) => !cx.store.member(m.user_id));
  checkAdd(cx.store.meta!.kind, actor.role, cx.store.memberCount, fresh.length, cx.maxMembers);
  return fresh;
}

/**
 * Before a group is created with `people` or they are added to one: spends
 * the adder's budget (so one request naming many people costs as many),
 * then asks each person's User actor whether the adder may add them —
 * blocks either way and their `group_adds` setting are theirs to know —
 * 100 questions in flight at a time, every admission valid until one
 * deadline (admissionWindow). The whole add is refused with `forbidden`,
 * naming who said no, or `internal` when an actor did not answer. Answers
 * when the earliest admission expires: the add must commit before then,
 * since a block of the adder waits only that long (decision 0013). Other
 * events of the actor run during the awaits: the caller checks its rules
 * again before it commits.
 */
export async function admitMembers(
  cx: MembershipContext,
  conversationId: string,
  adderId: string,
  action: "create" | "add",
  people: Member[],
): Promise<number> {
  unwrap(await withTimeout(cx.spend(adderId, action, people.length), ADMIT_TIMEOUT_MS));
  const deadline = Date.now() + admissionWindow(people.length);
  let until = Infinity;
  const refused: string[] = [];
  for (let i = 0; i < people.length; i += ADMIT_CONCURRENCY) {
    const chunk = people.slice(i, i + ADMIT_CONCURRENCY);
    const answers = await Promise.allSettled(chunk.map((m) => withTimeout(cx.admit(m.user_id, adderId, conversationId, deadline), ADMIT_TIMEOUT_MS)));
    answers.forEach((a, k) => {
      if (a.status === "rejected") {
        cx.log("warn", "members.admit_failed", { user_id: adderId, target_id: chunk[k]!.user_id, error: describeError(a.reason) });
        throw new ParleyError("internal", "Could not reach everyone to be added; retry.");
      }
      if (a.value.ok) until = Math.min(until, a.value.value.expires_at);
      else if (a.value.error.code === "forbidden") refused.push(chunk[k]!.username);
      else throw new ParleyError(a.value.error.code, a.value.error.message);
    });
  }
  if (refused.length > 0) throw new ParleyError("forbidden", `You cannot add ${refused.join(", ")} to a group.`);
  return until;
}

/**
 * Adds members (groups; admins and the owner) whose User actors admitted
 * them until `admittedUntil` (admitMembers). Already present ones are left
 * as they are. An admission that expired is not used: a block of the adder
 * may have been answered since.
 */
export function addMembers(cx: MembershipContext, actor: Member, members: Member[], admittedUntil: number): { conversation: ConversationView; added: Member[] } {
  const { store, room } = cx;
  const fresh = planAdd(cx, actor, members);
  const now = Date.now();
  if (fresh.length > 0 && now > admittedUntil) throw new ParleyError("internal", "Adding took too long; retry.");
  const conversationId = store.meta!.conversationId;
  const added = store.transaction(() => {
    const added = store.addMembers(fresh.map((m) => ({ ...m, role: "member" as const })), now);
    for (const m of added) {
      cx.outbox.enqueueNotification({
        id: notificationId(conversationId, store.lastSeq, "added", now), user_id: m.user_id, kind: "added",
        seq: store.lastSeq, created_at: now, caused_by: actor.user_id,
      });
    }
    for (const m of added) cx.event?.("member.joined", { member: m, by: actor.user_id });
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
    cx.event?.("member.left", { user_id: targetId, username: target.username, by: actor.user_id });
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
