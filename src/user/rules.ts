/**
 * Rules of the User actor that need no runtime; the actor wires them to
 * storage and sockets. Each is a plain function with its own unit test.
 */
import { ConversationId, type GroupAddsSetting, type NotificationSetting } from "../protocol/index.ts";

/**
 * Max-wins on a conversation's `version`: an update applies only when it is
 * newer than what is stored, so retries, repeats and reordering of the
 * conversation's outbox deliveries are harmless.
 */
export function shouldApply(storedVersion: number | undefined, incoming: number): boolean {
  return storedVersion === undefined || incoming > storedVersion;
}

/**
 * What the user's inbox sockets learn when an update applied: the
 * conversation as it is now, that it left the inbox, or nothing (a removal
 * of a conversation the inbox never listed).
 */
export function inboxChange(wasMember: boolean, isMember: boolean): "updated" | "removed" | "none" {
  if (isMember) return "updated";
  return wasMember ? "removed" : "none";
}

/**
 * When a conversation last saw activity, for the inbox order: its last
 * message, else when the inbox first heard of it (a new, empty
 * conversation sorts as of its arrival).
 */
export function activityAt(lastMessageAt: number | undefined, prior: number | undefined, now: number): number {
  return lastMessageAt ?? prior ?? now;
}

/** Whether a notification of `kind` reaches a user with this setting. */
export function notificationAllowed(setting: NotificationSetting, kind: "mention" | "reply" | "added"): boolean {
  switch (setting) {
    case "all":
      return true;
    case "mentions":
      return kind === "mention" || kind === "reply";
    case "none":
      return false;
  }
}

/**
 * A contact's status reports may arrive out of order (separate RPCs); the one
 * stamped later wins, and on a tie the one that arrived last.
 */
export function isNewerReport(storedAt: number | undefined, at: number): boolean {
  return storedAt === undefined || at >= storedAt;
}

/**
 * Whether someone may add the user to a group: never when they are blocked
 * either way; under the `contacts` setting, only when the user shares a
 * direct conversation with them.
 */
export function groupAddAllowed(blockedEitherWay: boolean, setting: GroupAddsSetting, sharesDirect: boolean): boolean {
  if (blockedEitherWay) return false;
  return setting === "everyone" || sharesDirect;
}

/** A place in the inbox order (latest activity first, ties by id): what a list cursor holds. */
export interface InboxPosition {
  activityAt: number;
  id: string;
}

/** The opaque cursor of `GET /v1/conversations`: the position of the last entry of a page, base64url. */
export function encodeInboxCursor(p: InboxPosition): string {
  return btoa(`${p.activityAt}:${p.id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Reads a cursor made by `encodeInboxCursor`; undefined for anything else. */
export function decodeInboxCursor(cursor: string): InboxPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return undefined;
  }
  const match = /^([0-9]{1,16}):(.+)$/.exec(text);
  if (!match || !ConversationId.safeParse(match[2]).success) return undefined;
  const activityAt = Number(match[1]);
  return Number.isSafeInteger(activityAt) ? { activityAt, id: match[2]! } : undefined;
}
