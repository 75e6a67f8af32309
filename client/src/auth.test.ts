import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ParleyError } from "../../src/protocol/index.ts";
import { TokenSource, type AccessToken, type AuthOptions } from "./auth.ts";
import type { ParleyEventError } from "./socket.ts";
import { TIMING, type Timing } from "./timing.ts";

/**
 * The proactive refresh of TokenSource, on fake timers (and Date): tokens are
 * JWT-shaped with a known `exp`, or come with `expires_at`; the refresh hook
 * is a mock the test resolves or rejects.
 */

const T0 = 1_763_769_600_000;
const LIFETIME_MS = 15 * 60_000;
const MARGIN = TIMING.TOKEN_REFRESH_MARGIN_MS;
const JITTER = TIMING.TOKEN_REFRESH_JITTER_MS;
/** Short backoff, so a retry is due within BACKOFF_MAX_MS. */
const timing: Timing = { ...TIMING, BACKOFF_BASE_MS: 1_000, BACKOFF_MAX_MS: 4_000, BACKOFF_MIN_MS: 100 };

let serial = 0;
/** A JWT-shaped token expiring at `expiresAt` (ms); each one is different. */
function jwt(expiresAt: number): string {
  const b64url = (x: unknown) => btoa(JSON.stringify(x)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  serial += 1;
  return `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ sub: "u_me", name: "me", n: serial, exp: Math.floor(expiresAt / 1000) })}.sig`;
}

/** What a refresh answers: a new token living 15 minutes from now. */
function grant(): { access_token: string; expires_at: number } {
  const expires_at = Date.now() + LIFETIME_MS;
  return { access_token: jwt(expires_at), expires_at };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

let sources: TokenSource[] = [];

function source(options: AuthOptions, overrides: Partial<Timing> = {}) {
  const errors: ParleyEventError[] = [];
  const refreshed: string[] = [];
  const tokens = new TokenSource(options, { ...timing, ...overrides }, (e) => errors.push(e));
  tokens.onRefreshed((t) => refreshed.push(t));
  sources.push(tokens);
  return { tokens, errors, refreshed };
}

/** Without jitter, the first attempt is due exactly MARGIN before expiry. */
const NO_JITTER = { TOKEN_REFRESH_JITTER_MS: 0 };

/** Moves the fake clock to `at` (ms since the epoch), running timers and the promises they start. */
async function advanceTo(at: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(at - Date.now());
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});

afterEach(() => {
  for (const s of sources) s.destroy();
  sources = [];
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("the proactive token refresh", () => {
  it("refreshes a token before it expires, between margin+jitter and margin ahead, then the new one likewise", async () => {
    const expiry = T0 + LIFETIME_MS;
    const calledAt: number[] = [];
    const hook = vi.fn(async (): Promise<AccessToken> => {
      calledAt.push(Date.now());
      return grant();
    });
    const { tokens, refreshed } = source({ token: jwt(expiry), refreshToken: hook });

    await advanceTo(expiry - MARGIN - JITTER - 1);
    expect(hook).not.toHaveBeenCalled();
    await advanceTo(expiry - MARGIN);
    expect(hook).toHaveBeenCalledTimes(1);
    const second = refreshed[0]!;
    expect(await tokens.current()).toBe(second);

    // The new token (expiring 15 minutes after its refresh) gets its own timer.
    const nextExpiry = calledAt[0]! + LIFETIME_MS;
    await advanceTo(nextExpiry - MARGIN - JITTER - 1);
    expect(hook).toHaveBeenCalledTimes(1);
    await advanceTo(nextExpiry - MARGIN);
    expect(hook).toHaveBeenCalledTimes(2);
    expect(await tokens.current()).toBe(refreshed[1]);
    expect(refreshed[1]).not.toBe(second);
  });

  it("takes the expiry from expires_at when it is given, over the JWT's exp", async () => {
    const hook = vi.fn(async (): Promise<AccessToken> => grant());
    // An opaque token: only expires_at can tell when it expires.
    const { tokens } = source({ getToken: () => ({ access_token: "opaque", expires_at: T0 + 5 * 60_000 }), refreshToken: hook });
    expect(await tokens.current()).toBe("opaque");
    await advanceTo(T0 + 5 * 60_000 - MARGIN - JITTER - 1);
    expect(hook).not.toHaveBeenCalled();
    await advanceTo(T0 + 5 * 60_000 - MARGIN);
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it("refreshes at once a token already inside the margin, or already expired", async () => {
    for (const left of [MARGIN - 1_000, -60_000]) {
      const hook = vi.fn(async (): Promise<AccessToken> => grant());
      const { tokens, refreshed } = source({ token: jwt(Date.now() + left), refreshToken: hook });
      await vi.advanceTimersByTimeAsync(0);
      expect(hook).toHaveBeenCalledTimes(1);
      expect(await tokens.current()).toBe(refreshed[0]);
      // Once: the fresh token is not inside the margin.
      await vi.advanceTimersByTimeAsync(60_000);
      expect(hook).toHaveBeenCalledTimes(1);
    }
  });

  it("keeps the old token when a refresh fails, retries with backoff, and stops retrying once the token has expired", async () => {
    const expiry = T0 + LIFETIME_MS;
    const first = jwt(expiry);
    const hook = vi.fn(async (): Promise<AccessToken> => {
      throw new Error("network down");
    });
    const { tokens, errors, refreshed } = source({ token: first, refreshToken: hook }, NO_JITTER);

    await advanceTo(expiry - MARGIN - 1);
    expect(hook).not.toHaveBeenCalled();

    await advanceTo(expiry - MARGIN);
    expect(hook).toHaveBeenCalledTimes(1);
    expect(await tokens.current()).toBe(first);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ kind: "refresh_failed" });
    expect(errors[0]!.message).toMatch(/network down.*tried again in \d+ ms/);

    // Retried within the backoff cap, again and again while the token lasts.
    await vi.advanceTimersByTimeAsync(timing.BACKOFF_MAX_MS);
    expect(hook.mock.calls.length).toBeGreaterThanOrEqual(2);
    await advanceTo(expiry);
    const atExpiry = hook.mock.calls.length;
    expect(atExpiry).toBeGreaterThan(MARGIN / timing.BACKOFF_MAX_MS - 1);
    expect(errors.at(-1)!.message).toMatch(/expires before another try/);
    // Past the expiry the 4101 / 401 path asks for a refresh; the timer does not.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(hook).toHaveBeenCalledTimes(atExpiry);
    expect(await tokens.current()).toBe(first);
    expect(refreshed).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a retry that succeeds swaps the token in and schedules the next refresh", async () => {
    const expiry = T0 + LIFETIME_MS;
    const first = jwt(expiry);
    let fail = true;
    const hook = vi.fn(async (): Promise<AccessToken> => {
      if (fail) throw new Error("503");
      return grant();
    });
    const { tokens, refreshed } = source({ token: first, refreshToken: hook }, NO_JITTER);
    await advanceTo(expiry - MARGIN);
    expect(hook).toHaveBeenCalledTimes(1);
    expect(await tokens.current()).toBe(first);
    fail = false;
    await vi.advanceTimersByTimeAsync(timing.BACKOFF_MAX_MS);
    expect(hook).toHaveBeenCalledTimes(2);
    expect(refreshed).toHaveLength(1);
    expect(await tokens.current()).toBe(refreshed[0]);
    // The new token lives 15 minutes from its refresh (at most BACKOFF_MAX_MS ago).
    await vi.advanceTimersByTimeAsync(LIFETIME_MS - MARGIN - timing.BACKOFF_MAX_MS - 1);
    expect(hook).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(timing.BACKOFF_MAX_MS + 1);
    expect(hook).toHaveBeenCalledTimes(3);
  });

  it("does not retry a refresh refused with unauthorized (the session is over)", async () => {
    const expiry = T0 + LIFETIME_MS;
    const hook = vi.fn(async (): Promise<AccessToken> => {
      throw new ParleyError("unauthorized", "This session has ended; log in again.");
    });
    const { errors } = source({ token: jwt(expiry), refreshToken: hook }, NO_JITTER);
    await advanceTo(expiry - MARGIN);
    expect(hook).toHaveBeenCalledTimes(1);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/session has ended.*not retried/)]);
    await advanceTo(expiry + 60_000);
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it("runs one refresh for concurrent triggers: the timer, a 4101 and a 401 share the same call", async () => {
    const pending = deferred<AccessToken>();
    const hook = vi.fn(() => pending.promise);
    // Inside the margin: the timer fires at once, while the two on-demand refreshes wait.
    const { tokens, refreshed } = source({ token: jwt(T0 + 30_000), refreshToken: hook });
    const onDemand = [tokens.refresh(), tokens.refresh()];
    await vi.advanceTimersByTimeAsync(0);
    expect(hook).toHaveBeenCalledTimes(1);
    const next = grant();
    pending.resolve(next);
    expect(await Promise.all(onDemand)).toEqual([
      { ok: true, token: next.access_token },
      { ok: true, token: next.access_token },
    ]);
    await vi.advanceTimersByTimeAsync(0);
    expect(hook).toHaveBeenCalledTimes(1);
    expect(refreshed).toEqual([next.access_token]);
  });

  it("destroy clears the timer: nothing is refreshed after it", async () => {
    const expiry = T0 + LIFETIME_MS;
    const hook = vi.fn(async (): Promise<AccessToken> => grant());
    const { tokens } = source({ token: jwt(expiry), refreshToken: hook });
    expect(vi.getTimerCount()).toBe(1);
    tokens.destroy();
    expect(vi.getTimerCount()).toBe(0);
    await advanceTo(expiry + 60_000);
    expect(hook).not.toHaveBeenCalled();
  });

  it("sets no timer without a refresh hook or without a known expiry", async () => {
    source({ token: jwt(T0 + 30_000) });
    const hook = vi.fn(async (): Promise<AccessToken> => grant());
    const { tokens } = source({ token: "opaque", refreshToken: hook });
    expect(await tokens.current()).toBe("opaque");
    expect(vi.getTimerCount()).toBe(0);
    await advanceTo(T0 + 60 * 60_000);
    expect(hook).not.toHaveBeenCalled();
  });
});
