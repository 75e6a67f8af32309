/**
 * The privacy settings as the actors carry them (docs/protocol.md §22.12,
 * decision 0028): a bitmask of what a user does not share. The User actor
 * owns the settings; each conversation keeps its members' masks to decide,
 * per frame and per reader, what to relay. Plain functions with their own
 * tests (privacy.test.ts).
 */
import type { Receipt, Settings } from "../protocol/index.ts";

/** The user's status and last seen are shown to no one. */
export const HIDE_PRESENCE = 1;
/** The user's read watermark is shown to no one; and (reciprocity) the user sees no one's. */
export const HIDE_READ_RECEIPTS = 2;
/** The user's typing is relayed to no one. */
export const HIDE_TYPING = 4;

export function privacyMask(settings: Pick<Settings, "share_presence" | "share_read_receipts" | "share_typing">): number {
  return (settings.share_presence ? 0 : HIDE_PRESENCE) | (settings.share_read_receipts ? 0 : HIDE_READ_RECEIPTS) | (settings.share_typing ? 0 : HIDE_TYPING);
}

/** Whether `mask` (null: not known yet, taken as the default, sharing everything) hides `what`. */
export function hides(mask: number | null | undefined, what: number): boolean {
  return ((mask ?? 0) & what) !== 0;
}

/**
 * A receipt as `viewerId` may see it. The owner sees their own as it is.
 * Anyone else sees the read watermark only when both the owner and the
 * viewer share read receipts; otherwise `read_seq` is 0 (unknown), while
 * `delivered_seq` stays: delivery is not reading.
 */
export function receiptFor(receipt: Receipt, ownerMask: number | null | undefined, viewerId: string, viewerMask: number | null | undefined): Receipt {
  if (viewerId === receipt.user_id) return receipt;
  if (!hides(ownerMask, HIDE_READ_RECEIPTS) && !hides(viewerMask, HIDE_READ_RECEIPTS)) return receipt;
  return { user_id: receipt.user_id, read_seq: 0, delivered_seq: receipt.delivered_seq };
}
