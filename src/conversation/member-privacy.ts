/**
 * What a conversation knows of its members' privacy settings (decision
 * 0028): asking a member's User actor for their mask when it was never told,
 * applying a newer mask, and the room presence that follows a change.
 */
import { ParleyError } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import { describeError, type Logger } from "../shared/log.ts";
import { HIDE_PRESENCE, hides } from "../shared/privacy.ts";
import { isLarge } from "./frames.ts";
import type { Room } from "./room.ts";
import type { ConversationStore } from "./store.ts";

/** What the privacy operations work with. */
export interface PrivacyContext {
  store: ConversationStore;
  room: Room;
  log: Logger;
  /** The member's own settings, from their User actor. */
  ask: (userId: string) => Promise<{ mask: number; version: number }> | { mask: number; version: number };
}

/**
 * Makes sure the conversation holds `userId`'s privacy mask before it
 * relays anything of theirs: a member it was never told about (added since
 * their last change, or from before the settings existed) is asked once,
 * at their first socket or REST read. A member's User actor that cannot
 * answer makes the request fail (`internal`, retryable) rather than relay
 * what the member may not share.
 */
export async function ensurePrivacy(c: PrivacyContext, userId: string): Promise<ParleyError | undefined> {
  if (c.store.member(userId)?.privacy !== null) return undefined;
  try {
    const told = await withTimeout(Promise.resolve(c.ask(userId)), 3000);
    const member = c.store.member(userId);
    if (member && c.store.setPrivacy(userId, told.mask, told.version)) privacyApplied(c, userId, null, told.mask);
    return undefined;
  } catch (e) {
    c.log("warn", "member.privacy_unknown", { user_id: userId, error: describeError(e) });
    return new ParleyError("internal", "Could not read your privacy settings; retry.");
  }
}

/**
 * A member's new mask, stamped with a version; the newest wins. Returns
 * whether it was applied.
 */
export function setMemberPrivacy(c: PrivacyContext, userId: string, mask: number, version: number): boolean {
  const member = c.store.member(userId);
  if (!member || !Number.isSafeInteger(mask) || !Number.isSafeInteger(version)) return false;
  const before = member.privacy;
  if (!c.store.setPrivacy(userId, mask, version)) return false;
  privacyApplied(c, userId, before, mask);
  c.log("info", "member.privacy", { user_id: userId, mask, version });
  return true;
}

/** The room follows a member's new mask; their presence is announced when its visibility changed while they are online. */
function privacyApplied(c: PrivacyContext, userId: string, before: number | null, after: number): void {
  c.room.setPrivacy(userId, after);
  const wasHidden = hides(before, HIDE_PRESENCE);
  const isHidden = hides(after, HIDE_PRESENCE);
  if (wasHidden !== isHidden && c.room.isOnline(userId)) {
    c.room.presence({ user_id: userId, status: isHidden ? "offline" : "online" }, isLarge(c.store), undefined, true);
  }
}
