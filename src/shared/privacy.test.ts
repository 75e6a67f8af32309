import { describe, expect, it } from "vitest";
import { HIDE_PRESENCE, HIDE_READ_RECEIPTS, HIDE_TYPING, hides, privacyMask, receiptFor } from "./privacy.ts";

describe("privacyMask", () => {
  it("sets a bit for each thing not shared", () => {
    expect(privacyMask({ share_presence: true, share_read_receipts: true, share_typing: true })).toBe(0);
    expect(privacyMask({ share_presence: false, share_read_receipts: true, share_typing: true })).toBe(HIDE_PRESENCE);
    expect(privacyMask({ share_presence: true, share_read_receipts: false, share_typing: false })).toBe(HIDE_READ_RECEIPTS | HIDE_TYPING);
    expect(hides(HIDE_TYPING, HIDE_TYPING)).toBe(true);
    expect(hides(HIDE_TYPING, HIDE_PRESENCE)).toBe(false);
    expect(hides(null, HIDE_PRESENCE)).toBe(false);
  });
});

describe("receiptFor", () => {
  const r = { user_id: "u_owner", read_seq: 7, delivered_seq: 9 };
  it("shows the read watermark only when owner and viewer both share read receipts; the owner always sees their own", () => {
    expect(receiptFor(r, 0, "u_viewer", 0)).toEqual(r);
    expect(receiptFor(r, HIDE_READ_RECEIPTS, "u_viewer", 0)).toEqual({ user_id: "u_owner", read_seq: 0, delivered_seq: 9 });
    expect(receiptFor(r, 0, "u_viewer", HIDE_READ_RECEIPTS)).toEqual({ user_id: "u_owner", read_seq: 0, delivered_seq: 9 });
    expect(receiptFor(r, HIDE_READ_RECEIPTS | HIDE_PRESENCE, "u_owner", HIDE_READ_RECEIPTS)).toEqual(r);
    expect(receiptFor(r, HIDE_TYPING | HIDE_PRESENCE, "u_viewer", null)).toEqual(r);
  });
});
