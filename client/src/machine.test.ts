import { describe, expect, it } from "vitest";
import { INITIAL_STATE, publicStatus, transition, type ConnectionEvent, type ConnectionState } from "./machine.ts";

/** Runs events from a state; returns every state passed through. */
function run(events: ConnectionEvent[], from: ConnectionState = INITIAL_STATE): ConnectionState[] {
  const states = [from];
  for (const e of events) states.push(transition(states[states.length - 1]!, e));
  return states;
}

const toLive: ConnectionEvent[] = [
  { type: "connect" },
  { type: "opened" },
  { type: "hello.ack" },
  { type: "joined", replay: true },
  { type: "replayed" },
];

describe("the connection state machine", () => {
  it("goes idle → connecting → handshaking → joining → replaying → live, and reads connecting then connected", () => {
    const states = run(toLive);
    expect(states.map((s) => s.phase)).toEqual(["idle", "connecting", "handshaking", "joining", "replaying", "live"]);
    expect(states.map(publicStatus)).toEqual(["disconnected", "connecting", "connecting", "connecting", "connecting", "connected"]);
    expect(states.at(-1)).toMatchObject({ attempt: 0, wasLive: true });
  });

  it("is live at once after a join without a replay (the inbox)", () => {
    const states = run([{ type: "connect" }, { type: "opened" }, { type: "hello.ack" }, { type: "joined", replay: false }]);
    expect(states.at(-1)!.phase).toBe("live");
  });

  it("backs off after a drop (1006), a server restart (4200) or the heartbeat sweep (4202), and counts attempts", () => {
    for (const code of [1000, 1006, 4200, 4201, 4202, 4399]) {
      const states = run([...toLive, { type: "closed", code }, { type: "retry" }, { type: "closed", code: 1006 }, { type: "retry" }]);
      expect(states.slice(-4).map((s) => [s.phase, s.attempt])).toEqual([
        ["backoff", 0],
        ["connecting", 1],
        ["backoff", 1],
        ["connecting", 2],
      ]);
      expect(states.slice(-4).map(publicStatus)).toEqual(["reconnecting", "reconnecting", "reconnecting", "reconnecting"]);
    }
  });

  it("stops for good on 4003 and 4008, keeping the reason, until connect() is called again", () => {
    for (const code of [4003, 4008]) {
      const stopped = run([...toLive, { type: "closed", code, reason: "removed" }]).at(-1)!;
      expect(stopped).toMatchObject({ phase: "stopped", stopReason: { code, message: "removed" } });
      expect(publicStatus(stopped)).toBe("failed");
      expect(transition(stopped, { type: "retry" })).toBe(stopped);
      expect(transition(stopped, { type: "connect" }).phase).toBe("connecting");
    }
  });

  it("gets a new token on 4101 or a refused upgrade (401) and reconnects at once, but backs off while fresh tokens are refused", () => {
    const first = run([{ type: "connect" }, { type: "refused", status: 401 }, { type: "token", ok: true }]);
    expect(first.map((s) => s.phase)).toEqual(["idle", "connecting", "reauthenticating", "connecting"]);

    const states = run([
      ...toLive,
      { type: "closed", code: 4101 },
      { type: "token", ok: true },
      { type: "refused", status: 401 },
      { type: "token", ok: true },
      { type: "retry" },
    ]);
    expect(states.slice(-5).map((s) => s.phase)).toEqual(["reauthenticating", "connecting", "reauthenticating", "backoff", "connecting"]);
    // Live again: the next expiry gets its immediate reconnect again.
    const relive = run([{ type: "opened" }, { type: "hello.ack" }, { type: "joined", replay: false }, { type: "closed", code: 4101 }, { type: "token", ok: true }], states.at(-1));
    expect(relive.at(-1)!.phase).toBe("connecting");
  });

  it("stops when no token can be had", () => {
    const s = run([{ type: "connect" }, { type: "refused", status: 401 }, { type: "token", ok: false, message: "log in again" }]).at(-1)!;
    expect(s).toMatchObject({ phase: "stopped", stopReason: { status: 401, message: "log in again" } });
  });

  it("maps refused upgrades by status: 403 and 404 stop, 429 and 5xx back off", () => {
    const after = (status: number) => run([{ type: "connect" }, { type: "refused", status }]).at(-1)!.phase;
    expect([403, 404, 429, 500, 502, 0].map(after)).toEqual(["stopped", "stopped", "backoff", "backoff", "backoff", "backoff"]);
  });

  it("ignores events that do not fit the phase (a stale socket's close, a second connect)", () => {
    const live = run(toLive).at(-1)!;
    expect(transition(live, { type: "connect" })).toBe(live);
    expect(transition(live, { type: "opened" })).toBe(live);
    expect(transition(live, { type: "replayed" })).toBe(live);
    const backoff = transition(live, { type: "closed", code: 1006 });
    expect(transition(backoff, { type: "closed", code: 4003 })).toBe(backoff);
    expect(transition(INITIAL_STATE, { type: "closed", code: 1006 })).toBe(INITIAL_STATE);
    expect(transition(INITIAL_STATE, { type: "token", ok: true })).toBe(INITIAL_STATE);
  });

  it("disconnect goes idle from anywhere; destroy is final", () => {
    for (const prefix of [toLive.slice(0, 2), toLive, [...toLive, { type: "closed", code: 1006 } as const]]) {
      expect(run([...prefix, { type: "disconnect" }]).at(-1)!.phase).toBe("idle");
    }
    const closed = run([...toLive, { type: "destroy" }]).at(-1)!;
    expect(publicStatus(closed)).toBe("closed");
    for (const e of [{ type: "connect" }, { type: "disconnect" }, { type: "retry" }] as ConnectionEvent[]) {
      expect(transition(closed, e)).toBe(closed);
    }
  });
});

describe("the polling fallback", () => {
  const connecting: ConnectionState = { phase: "connecting", attempt: 3, wasLive: false };

  it("enters polling from an attempt, reads polling until live, and probes with retry", () => {
    const polling = transition(connecting, { type: "fallback" });
    expect(polling).toMatchObject({ phase: "polling", fallback: true });
    expect(publicStatus(polling)).toBe("polling");
    const probe = transition(polling, { type: "retry" });
    expect(probe).toMatchObject({ phase: "connecting", fallback: true });
    expect(publicStatus(probe)).toBe("polling");
    expect(publicStatus(transition(probe, { type: "closed", code: 1006 }))).toBe("polling");
    const live = transition(transition(transition(transition(probe, { type: "opened" }), { type: "hello.ack" }), { type: "joined", replay: false }), { type: "replayed" });
    expect(live).toEqual({ phase: "live", attempt: 0, wasLive: true });
    expect(publicStatus(live)).toBe("connected");
    // Once live again, a drop is an ordinary reconnect.
    expect(publicStatus(transition(live, { type: "closed", code: 1006 }))).toBe("reconnecting");
  });

  it("a poll refused with 404 or 403 stops it; disconnect and destroy end it", () => {
    const polling = transition(connecting, { type: "fallback" });
    expect(transition(polling, { type: "refused", status: 404 })).toMatchObject({ phase: "stopped", stopReason: { status: 404 } });
    expect(transition(polling, { type: "refused", status: 429 })).toBe(polling);
    expect(transition(polling, { type: "disconnect" })).toEqual({ phase: "idle", attempt: 0, wasLive: false });
    expect(transition(polling, { type: "destroy" }).phase).toBe("closed");
    expect(transition({ phase: "idle", attempt: 0, wasLive: false }, { type: "fallback" }).phase).toBe("idle");
  });
});
