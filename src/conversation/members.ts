/**
 * Membership rules of a conversation, without a runtime. Direct
 * conversations have fixed members; groups have one owner, admins and
 * members.
 */
import { ParleyError, type Member } from "../protocol/index.ts";

type Role = Member["role"];

/** Conversations up to this size tell User actors who is in them, for presence fan-out. */
export const PRESENCE_FANOUT_MAX_MEMBERS = 50;

/**
 * Conversations above this many members are "large": bounded lists in
 * `conversation.joined`, presence and receipts in batches (room.ts), and
 * inboxes that pull the conversation instead of being sent every message
 * (fanout.ts). Filling a room of n sockets, or sweeping n inboxes for every
 * burst of messages, would otherwise grow as n².
 */
export const LARGE_ROOM_MEMBERS = 50;

const RANK: Record<Role, number> = { member: 0, admin: 1, owner: 2 };

function requireGroup(kind: "direct" | "group"): void {
  if (kind === "direct") throw new ParleyError("conflict", "A direct conversation's members never change.");
}

/** Who may add people: admins and the owner, up to the limit. */
export function checkAdd(kind: "direct" | "group", actor: Role, current: number, adding: number, max: number): void {
  requireGroup(kind);
  if (RANK[actor] < RANK.admin) throw new ParleyError("forbidden", "Only admins and the owner can add members.");
  if (current + adding > max) {
    throw new ParleyError("conflict", `The group is full: at most ${max} members (it has ${current}).`);
  }
}

/**
 * Who may remove whom. Leaving is removing yourself: anyone may, except the
 * owner of a group that still has others, who must hand over first. Removing
 * someone else needs a higher role: the owner removes admins and members,
 * admins remove members.
 */
export function checkRemove(kind: "direct" | "group", actor: { id: string; role: Role }, target: { id: string; role: Role }, memberCount: number): void {
  requireGroup(kind);
  if (actor.id === target.id) {
    if (actor.role === "owner" && memberCount > 1) {
      throw new ParleyError("conflict", "The owner must hand over ownership (PATCH …/members/{user_id} {role:\"owner\"}) before leaving.");
    }
    return;
  }
  if (RANK[actor.role] < RANK.admin || RANK[actor.role] <= RANK[target.role]) {
    throw new ParleyError("forbidden", `A ${actor.role} cannot remove a ${target.role}.`);
  }
}

/**
 * Role changes: only the owner changes roles. Giving someone the role
 * "owner" hands the group over: the previous owner becomes an admin.
 * Returns the changes to apply.
 */
export function planRoleChange(
  kind: "direct" | "group",
  actor: { id: string; role: Role },
  target: { id: string; role: Role },
  role: Role,
): Array<{ user_id: string; role: Role }> {
  requireGroup(kind);
  if (actor.role !== "owner") throw new ParleyError("forbidden", "Only the owner changes roles.");
  if (actor.id === target.id) throw new ParleyError("conflict", "Hand over ownership by giving another member the role owner.");
  if (target.role === role) return [];
  if (role === "owner") return [{ user_id: target.id, role: "owner" }, { user_id: actor.id, role: "admin" }];
  return [{ user_id: target.id, role }];
}

/** Title changes: groups only, by admins and the owner. */
export function checkRetitle(kind: "direct" | "group", actor: Role): void {
  if (kind === "direct") throw new ParleyError("conflict", "A direct conversation has no title.");
  if (RANK[actor] < RANK.admin) throw new ParleyError("forbidden", "Only admins and the owner can change the title.");
}

/**
 * Who a message notifies, from what it already carries: the members it
 * @-mentions (`mentions`, found by `mentionedIds`) and the author of the
 * message it replies to; never the sender, and a person once (a mention wins
 * over a reply). A replied author who left is nobody's target.
 */
export function targetsOf(
  mentions: readonly string[],
  senderId: string,
  repliedAuthorId: string | undefined,
  isMember: (userId: string) => boolean,
): Array<{ user_id: string; kind: "mention" | "reply" }> {
  const targets = new Map<string, "mention" | "reply">();
  for (const id of mentions) {
    if (id !== senderId) targets.set(id, "mention");
  }
  if (repliedAuthorId && repliedAuthorId !== senderId && !targets.has(repliedAuthorId) && isMember(repliedAuthorId)) {
    targets.set(repliedAuthorId, "reply");
  }
  return [...targets].map(([user_id, kind]) => ({ user_id, kind }));
}

const MENTION = /(?:^|[^A-Za-z0-9_@])@([A-Za-z0-9_]{3,32})(?![A-Za-z0-9_])/g;

/**
 * The members a body @-mentions, by username regardless of case, each once,
 * in the order they first appear: what a message carries as `mentions`.
 */
export function mentionedIds(body: string, members: ReadonlyArray<{ user_id: string; username: string }>): string[] {
  if (!body.includes("@")) return [];
  const byName = new Map(members.map((m) => [m.username.toLowerCase(), m.user_id]));
  const ids = new Set<string>();
  for (const match of body.matchAll(MENTION)) {
    const id = byName.get(match[1]!.toLowerCase());
    if (id) ids.add(id);
  }
  return [...ids];
}
