import { describe, expect, it } from "vitest";
import { ParleyError } from "../protocol/index.ts";
import { checkAdd, checkRemove, checkRetitle, mentionedIds, planRoleChange, targetsOf } from "./members.ts";

/** A message's notification targets as the send path finds them: its mentions of members, and the replied author. */
function notificationTargets(body: string, senderId: string, members: ReadonlyArray<{ user_id: string; username: string }>, repliedAuthorId: string | undefined) {
  return targetsOf(mentionedIds(body, members), senderId, repliedAuthorId, (id) => members.some((m) => m.user_id === id));
}

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof ParleyError ? e.code : "other";
  }
}

const owner = { id: "u_o", role: "owner" as const };
const admin = { id: "u_a", role: "admin" as const };
const admin2 = { id: "u_a2", role: "admin" as const };
const member = { id: "u_m", role: "member" as const };

describe("membership rules", () => {
  it("direct conversations never change members or title", () => {
    expect(code(() => checkAdd("direct", "owner", 2, 1, 1000))).toBe("conflict");
    expect(code(() => checkRemove("direct", owner, member, 2))).toBe("conflict");
    expect(code(() => planRoleChange("direct", owner, member, "admin"))).toBe("conflict");
    expect(code(() => checkRetitle("direct", "owner"))).toBe("conflict");
  });

  it("admins and the owner add, up to the limit", () => {
    expect(code(() => checkAdd("group", "member", 2, 1, 1000))).toBe("forbidden");
    expect(code(() => checkAdd("group", "admin", 2, 1, 1000))).toBeUndefined();
    expect(code(() => checkAdd("group", "owner", 999, 1, 1000))).toBeUndefined();
    expect(code(() => checkAdd("group", "owner", 999, 2, 1000))).toBe("conflict");
  });

  it("removal needs a higher role; anyone but a non-last owner may leave", () => {
    expect(code(() => checkRemove("group", owner, admin, 3))).toBeUndefined();
    expect(code(() => checkRemove("group", admin, member, 3))).toBeUndefined();
    expect(code(() => checkRemove("group", admin, admin2, 3))).toBe("forbidden");
    expect(code(() => checkRemove("group", admin, owner, 3))).toBe("forbidden");
    expect(code(() => checkRemove("group", member, admin, 3))).toBe("forbidden");
    expect(code(() => checkRemove("group", member, member, 3))).toBeUndefined();
    expect(code(() => checkRemove("group", owner, owner, 3))).toBe("conflict");
    expect(code(() => checkRemove("group", owner, owner, 1))).toBeUndefined();
  });

  it("only the owner changes roles; giving ownership demotes the giver to admin", () => {
    expect(planRoleChange("group", owner, member, "admin")).toEqual([{ user_id: "u_m", role: "admin" }]);
    expect(planRoleChange("group", owner, admin, "owner")).toEqual([
      { user_id: "u_a", role: "owner" },
      { user_id: "u_o", role: "admin" },
    ]);
    expect(planRoleChange("group", owner, admin, "admin")).toEqual([]);
    expect(code(() => planRoleChange("group", admin, member, "admin"))).toBe("forbidden");
    expect(code(() => planRoleChange("group", owner, owner, "member"))).toBe("conflict");
  });

  it("titles change by admins and the owner", () => {
    expect(code(() => checkRetitle("group", "member"))).toBe("forbidden");
    expect(code(() => checkRetitle("group", "admin"))).toBeUndefined();
  });
});

describe("notificationTargets", () => {
  const members = [
    { user_id: "u_a", username: "Alice" },
    { user_id: "u_b", username: "bob" },
    { user_id: "u_c", username: "carol_x" },
  ];
  it("finds @mentions of members, case-insensitively, once, never the sender", () => {
    expect(notificationTargets("hi @alice and @BOB, @bob again, @alice2 @dave", "u_c", members, undefined)).toEqual([
      { user_id: "u_a", kind: "mention" },
      { user_id: "u_b", kind: "mention" },
    ]);
    expect(notificationTargets("note to self @carol_x", "u_c", members, undefined)).toEqual([]);
    expect(notificationTargets("mail me at x@bob.com or @@bob", "u_c", members, undefined)).toEqual([]);
  });
  it("notifies the replied-to author unless they are the sender or already mentioned", () => {
    expect(notificationTargets("sure", "u_c", members, "u_a")).toEqual([{ user_id: "u_a", kind: "reply" }]);
    expect(notificationTargets("@alice sure", "u_c", members, "u_a")).toEqual([{ user_id: "u_a", kind: "mention" }]);
    expect(notificationTargets("sure", "u_c", members, "u_c")).toEqual([]);
    expect(notificationTargets("sure", "u_c", members, "u_gone")).toEqual([]);
  });
});
