/**
 * What a group's Conversation actor does with invite links (§22.17): make,
 * list and revoke them (the owner and admins), show a holder what they
 * would join, and join. A join checks the code and the member limit, asks
 * the joiner's User actor whether a block stands between them and any
 * member, then — other events ran during that await — checks everything
 * again and commits the use and the membership in one transaction. So of
 * two joins racing for an invite's last use, exactly one gets in.
 */
import type { ConversationView, InviteView, Member } from "../protocol/index.ts";
import { DEFAULT_INVITE_TTL_MS, MAX_INVITES_PER_GROUP, ParleyError } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import type { Logger } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { MembershipContext } from "../conversation/membership.ts";
import type { ConversationStore } from "../conversation/store.ts";
import { encode } from "../conversation/sockets.ts";
import type { ConversationHooks } from "../webhooks/hooks.ts";
import { invalidInvite, inviteView, unusable, type InviteStore } from "./store.ts";

export interface InviteContext {
  store: ConversationStore;
  invites: InviteStore;
  membership: MembershipContext;
  hooks: ConversationHooks;
  maxMembers: number;
  log: Logger;
}

const BLOCK_CHECK_TIMEOUT_MS = 3000;

function requireInviter(cx: InviteContext, actor: Member): void {
  if (cx.store.meta!.kind !== "group") throw new ParleyError("bad_request", "Only groups have invite links.");
  if (actor.role !== "owner" && actor.role !== "admin") throw new ParleyError("forbidden", "Only the owner and admins of a group manage its invite links.");
}

export function createInvite(cx: InviteContext, actor: Member, hash: string, expiresIn: number | undefined, maxUses: number | undefined): InviteView {
  requireInviter(cx, actor);
  const now = Date.now();
  if (cx.invites.usableCount(now) >= MAX_INVITES_PER_GROUP) {
    throw new ParleyError("conflict", `A group has at most ${MAX_INVITES_PER_GROUP} usable invite links; revoke one first.`);
  }
  const row = cx.invites.insert(hash, actor.user_id, now, now + (expiresIn ?? DEFAULT_INVITE_TTL_MS), maxUses);
  cx.log("info", "invite.created", { user_id: actor.user_id, invite_id: row.hash.slice(0, 16), max_uses: maxUses });
  return inviteView(row);
}

export function listInvites(cx: InviteContext, actor: Member): { invites: InviteView[] } {
  requireInviter(cx, actor);
  return { invites: cx.invites.list(Date.now()).map(inviteView) };
}

export function revokeInvite(cx: InviteContext, actor: Member, idOrHash: string): InviteView {
  requireInviter(cx, actor);
  const row = cx.invites.revoke(idOrHash, Date.now());
  if (!row) throw new ParleyError("not_found", "No such invite.");
  cx.log("info", "invite.revoked", { user_id: actor.user_id, invite_id: row.hash.slice(0, 16) });
  return inviteView(row);
}

export function previewInvite(cx: InviteContext, hash: string): Result<{ title?: string; member_count: number; expires_at: number }> {
  const meta = cx.store.meta;
  const row = meta?.kind === "group" ? cx.invites.find(hash) : undefined;
  if (!meta || unusable(row, Date.now())) return err(invalidInvite());
  return ok({ ...(meta.title !== undefined ? { title: meta.title } : {}), member_count: cx.store.memberCount, expires_at: row!.expires_at });
}

/**
 * Joins `userId` by the invite whose hash is `hash`. A member already in is
 * answered the conversation without using the invite. `blockedWithAny`
 * asks the joiner's User actor, which knows blocks both ways.
 */
export async function joinByInvite(
  cx: InviteContext,
  userId: string,
  username: string,
  hash: string,
  blockedWithAny: (memberIds: string[]) => Promise<boolean>,
): Promise<Result<{ conversation: ConversationView; joined: boolean }>> {
  const check = (): ParleyError | "member" | undefined => {
    const meta = cx.store.meta;
    if (!meta || meta.kind !== "group" || unusable(cx.invites.find(hash), Date.now())) return invalidInvite();
    if (cx.store.member(userId)) return "member";
    if (cx.store.memberCount >= cx.maxMembers) return new ParleyError("conflict", `This group is full (at most ${cx.maxMembers} members).`);
    return undefined;
  };
  const first = check();
  if (first === "member") return ok({ conversation: cx.store.view(), joined: false });
  if (first) return err(first);
  let blocked: boolean;
  try {
    blocked = await withTimeout(blockedWithAny([...cx.store.memberIds()]), BLOCK_CHECK_TIMEOUT_MS);
  } catch {
    return err(new ParleyError("internal", "Could not complete the join; retry."));
  }
  if (blocked) {
    cx.log("info", "invite.join_refused", { user_id: userId, reason: "block" });
    return err(new ParleyError("forbidden", "You cannot join this group."));
  }
  const again = check();
  if (again === "member") return ok({ conversation: cx.store.view(), joined: false });
  if (again) return err(again);
  const now = Date.now();
  const { store } = cx;
  const member: Member = { user_id: userId, username, role: "member" };
  store.transaction(() => {
    cx.invites.use(hash);
    store.addMembers([member], now);
    cx.membership.event?.("member.joined", { member, by: userId, invite_id: hash.slice(0, 16) });
    store.bumpVersion(true);
  });
  cx.membership.room.broadcast(encode("member.joined", member));
  cx.log("info", "invite.joined", { user_id: userId, invite_id: hash.slice(0, 16) });
  return ok({ conversation: store.view(), joined: true });
}
