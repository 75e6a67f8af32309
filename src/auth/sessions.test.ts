import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_SESSIONS } from "../shared/config.ts";
import {
  SESSION_IDLE_TTL_MS,
  decideRefresh,
  hashToken,
  maxSessions,
  newFamilyId,
  newRefreshToken,
  parseRefreshToken,
  sessionsToEvict,
  verifyRefreshToken,
  type SessionRecord,
} from "./sessions.ts";

const KEY = "unit-test-secret-of-enough-length";

describe("refresh tokens", () => {
  it("carry the user and family ids, and verify under the secret that signed them", async () => {
    const family = newFamilyId();
    const token = await newRefreshToken(KEY, "u_abc-DEF_1", family);
    expect(parseRefreshToken(token)).toEqual({ userId: "u_abc-DEF_1", familyId: family });
    expect(await verifyRefreshToken(KEY, token)).toEqual({ userId: "u_abc-DEF_1", familyId: family });
    expect(await newRefreshToken(KEY, "u_abc-DEF_1", family)).not.toBe(token);
  });

  it("a token signed under another secret, or changed anywhere, does not verify", async () => {
    const token = await newRefreshToken(KEY, "u_a", newFamilyId());
    expect(await verifyRefreshToken("another-secret-of-enough-length!!", token)).toBeUndefined();
    const [head, family, random, mac] = token.split(".") as [string, string, string, string];
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    for (const changed of [
      [head.replace("u_a", "u_b"), family, random, mac],
      [head, flip(family, 5), random, mac],
      [head, family, flip(random, 0), mac],
      [head, family, random, flip(mac, 10)],
    ]) {
      expect(await verifyRefreshToken(KEY, changed.join("."))).toBeUndefined();
    }
  });

  it("anything not in the format parses to undefined, never throws", async () => {
    const good = await newRefreshToken(KEY, "u_a", newFamilyId());
    for (const bad of ["", "garbage", good.slice(0, -1), `${good}x`, good.replace("rt_", "xx_"), good.replace("u_a", "v_a"),
      good.replace(".f_", ".g_"), `${good}.extra`, "rt_u_a.f_x.y.z", good.replace(/\.([^.]+)$/, ".###########################################")]) {
      expect(parseRefreshToken(bad), bad).toBeUndefined();
      expect(await verifyRefreshToken(KEY, bad), bad).toBeUndefined();
    }
  });

  it("are stored as a SHA-256 hex hash", async () => {
    const h = await hashToken("abc");
    expect(h).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("decideRefresh", () => {
  const session: SessionRecord = { familyId: "f_1", createdAt: 0, lastUsedAt: 1000, revokedAt: undefined };
  const now = 2000;

  it("rotates a current token of a live session", () => {
    expect(decideRefresh({ familyId: "f_1", usedAt: undefined }, session, "f_1", now)).toBe("rotate");
  });

  it("sees a used token as reuse", () => {
    expect(decideRefresh({ familyId: "f_1", usedAt: 1500 }, session, "f_1", now)).toBe("reuse");
  });

  it("refuses, without reuse, a token of a revoked or expired session", () => {
    expect(decideRefresh({ familyId: "f_1", usedAt: 1500 }, { ...session, revokedAt: 1600 }, "f_1", now)).toBe("revoked");
    expect(decideRefresh({ familyId: "f_1", usedAt: undefined }, session, "f_1", 1000 + SESSION_IDLE_TTL_MS)).toBe("expired");
  });

  it("treats a missing token, a missing session or a family mismatch as unknown", () => {
    expect(decideRefresh(undefined, session, "f_1", now)).toBe("unknown");
    expect(decideRefresh({ familyId: "f_1", usedAt: undefined }, undefined, "f_1", now)).toBe("unknown");
    expect(decideRefresh({ familyId: "f_2", usedAt: undefined }, session, "f_1", now)).toBe("unknown");
  });
});

describe("sessionsToEvict", () => {
  const s = (familyId: string, lastUsedAt: number, createdAt = 0): SessionRecord => ({ familyId, createdAt, lastUsedAt, revokedAt: undefined });

  it("evicts nothing while one more fits", () => {
    expect(sessionsToEvict([s("a", 1), s("b", 2)], 3)).toEqual([]);
  });

  it("evicts the least recently used to make room for one more", () => {
    expect(sessionsToEvict([s("a", 5), s("b", 2), s("c", 9)], 3)).toEqual(["b"]);
    expect(sessionsToEvict([s("a", 5), s("b", 2), s("c", 9)], 2)).toEqual(["b", "a"]);
    // Ties: the oldest login goes first.
    expect(sessionsToEvict([s("a", 5, 3), s("b", 5, 1)], 2)).toEqual(["b"]);
  });
});

describe("maxSessions", () => {
  it("reads a positive integer and falls back to the default otherwise", () => {
    expect(maxSessions("3")).toBe(3);
    for (const bad of [undefined, "", "0", "-1", "2.5", "ten"]) expect(maxSessions(bad)).toBe(DEFAULT_MAX_SESSIONS);
  });
});
