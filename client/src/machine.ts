import { isTerminal, shouldReauthenticate } from "../../src/protocol/index.ts";

/**
 * The life of one socket, as an explicit state machine. `transition` is pure:
 * the connection (socket.ts) feeds it what happened and acts on the phase it
 * enters (open a socket, say hello, schedule a retry, …). Events that make
 * no sense in the current phase — a late close of a socket already given
 * up, a second `connect` — leave the state unchanged (the same object).
 *
 *   idle ─connect─▶ connecting ─opened─▶ handshaking ─hello.ack─▶ joining ─joined─▶ replaying ─replayed─▶ live
 *                      ▲   │refused/closed             (any phase with a socket) ─closed─┐              │
 *                      │   ▼                                                           ▼              │
 *                    retry─ backoff ◀────────── 4200–4299, < 4000, network, 429, 5xx ──┤◀─────────────┘
 *                      ▲                                                               │
 *           token ok ──┴── reauthenticating ◀──── 4100–4199, HTTP 401 ──────────────────┤
 *                                 │ token refused                                      │
 *                                 ▼                                                    │
 *                              stopped ◀────────── 4000–4099, HTTP 403/404 ─────────────┘
 *   any ─disconnect─▶ idle        any ─destroy─▶ closed (final)
 *
 *   Fallback: sockets that never open, again and again (a proxy refusing
 *   upgrades), end in `fallback` ─▶ polling ─retry─▶ connecting (a probe). While
 *   `fallback` is set the conversation goes on over long-polling and REST,
 *   and the status reads `polling` in every phase until a socket is live.
 */
export type Phase =
  /** Not connected and not trying: before `connect()`, after `disconnect()`. */
  | "idle"
  /** Getting a token and opening the socket. */
  | "connecting"
  /** The socket is open; `hello` sent, waiting for `hello.ack`. */
  | "handshaking"
  /** `conversation.join` sent, waiting for `conversation.joined` (inbox: for `inbox.snapshot`). */
  | "joining"
  /** Paging what was missed with `sync` while `has_more`. */
  | "replaying"
  /** Receiving live; the outbox drains. */
  | "live"
  /** Waiting before the next attempt. */
  | "backoff"
  /** Getting a new token (after close 4101 or an HTTP 401), then reconnecting. */
  | "reauthenticating"
  /** The server said not to come back (4003, 4008, 403, 404) or no token could be had; `connect()` tries again. */
  | "stopped"
  /** Destroyed: final. */
  | "closed"
  /** WebSockets do not get through: long-polling and REST carry the conversation; a probe socket is tried now and then. */
  | "polling";

/** Why a connection stopped. */
export interface StopReason {
  /** The close code, when the server closed the socket. */
  code?: number;
  /** The HTTP status, when the upgrade was refused. */
  status?: number;
  message: string;
}

export interface ConnectionState {
  readonly phase: Phase;
  /** Attempts since the connection was last live; sets the backoff delay. */
  readonly attempt: number;
  /** Whether it was ever live, so a drop reads "reconnecting" and not "connecting". */
  readonly wasLive: boolean;
  /** A token was refreshed since the connection was last live (a second refusal backs off). */
  readonly refreshed?: boolean;
  /** Set in `stopped`. */
  readonly stopReason?: StopReason;
  /** WebSockets failed to open repeatedly: polling carries the conversation until a socket is live again. */
  readonly fallback?: boolean;
}

export type ConnectionEvent =
  | { type: "connect" }
  | { type: "disconnect" }
  | { type: "destroy" }
  /** The WebSocket opened. */
  | { type: "opened" }
  | { type: "hello.ack" }
  /** The join was answered; `replay` when a replay page follows. */
  | { type: "joined"; replay: boolean }
  /** The replay's last page (`has_more: false`) arrived. */
  | { type: "replayed" }
  /** The socket ended: closed by the server, dropped by the network, or given up locally (dead, timed out). */
  | { type: "closed"; code: number; reason?: string }
  /** The upgrade was answered with this HTTP status instead of 101. */
  | { type: "refused"; status: number; message?: string }
  /** The backoff delay passed. */
  | { type: "retry" }
  /** The token refresh finished. */
  | { type: "token"; ok: boolean; message?: string }
  /** Sockets did not open, repeatedly, though the server answers over HTTP: fall back to polling. */
  | { type: "fallback" };

/** What the application sees. */
export type ConnectionStatus = "disconnected" | "connecting" | "connected" | "reconnecting" | "failed" | "closed" | "polling";

export const INITIAL_STATE: ConnectionState = { phase: "idle", attempt: 0, wasLive: false };

/** Phases in which a socket exists (or is being opened). */
const WITH_SOCKET: ReadonlySet<Phase> = new Set(["connecting", "handshaking", "joining", "replaying", "live"]);

export function hasSocket(phase: Phase): boolean {
  return WITH_SOCKET.has(phase);
}

export function transition(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  const { phase } = state;
  if (phase === "closed") return state;
  switch (event.type) {
    case "destroy":
      return { phase: "closed", attempt: 0, wasLive: state.wasLive };
    case "disconnect":
      return phase === "idle" ? state : { phase: "idle", attempt: 0, wasLive: state.wasLive };
    case "connect":
      return phase === "idle" || phase === "stopped" ? connecting({ phase, attempt: 0, wasLive: state.wasLive }) : state;
    case "retry":
      return phase === "backoff" || phase === "polling" ? connecting(state) : state;
    case "fallback":
      return hasSocket(phase) || phase === "backoff" ? { ...state, phase: "polling", fallback: true } : state;
    case "opened":
      return phase === "connecting" ? { ...state, phase: "handshaking" } : state;
    case "hello.ack":
      return phase === "handshaking" ? { ...state, phase: "joining" } : state;
    case "joined":
      if (phase !== "joining") return state;
      return event.replay ? { ...state, phase: "replaying" } : live(state);
    case "replayed":
      return phase === "replaying" ? live(state) : state;
    case "closed":
      if (!hasSocket(phase)) return state;
      if (isTerminal(event.code)) return stopped(state, { code: event.code, message: event.reason || `closed by the server (${event.code})` });
      if (shouldReauthenticate(event.code)) return { ...state, phase: "reauthenticating" };
      // 4200–4299, codes below 4000 (1006 for a dropped network) and codes
      // that v1 does not define: try again later.
      return { ...state, phase: "backoff" };
    case "refused":
      // While polling, a poll refused for good (403, 404) stops the conversation as a refused upgrade would.
      if (phase !== "connecting" && !(phase === "polling" && (event.status === 403 || event.status === 404))) return state;
      if (event.status === 401) return { ...state, phase: "reauthenticating" };
      if (event.status === 403 || event.status === 404) {
        return stopped(state, { status: event.status, message: event.message || `the server refused the socket (HTTP ${event.status})` });
      }
      return { ...state, phase: "backoff" };
    case "token":
      if (phase !== "reauthenticating") return state;
      if (!event.ok) return stopped(state, { status: 401, message: event.message || "no valid access token could be obtained" });
      // The first new token: reconnect now (an expired token is the usual
      // case, after a long sleep or a reload). A refusal of a fresh token
      // again: back off, so a server that keeps refusing is not hammered.
      return state.refreshed ? { ...state, phase: "backoff" } : { ...connecting(state), refreshed: true };
    default:
      return assertNever(event);
  }
}

/** The application's view of a state; every phase is named, so a new one cannot be forgotten. */
export function publicStatus(state: ConnectionState): ConnectionStatus {
  switch (state.phase) {
    case "idle":
      return "disconnected";
    case "connecting":
    case "handshaking":
    case "joining":
    case "replaying":
    case "reauthenticating":
      if (state.fallback) return "polling";
      return state.wasLive || state.attempt > 1 ? "reconnecting" : "connecting";
    case "live":
      return "connected";
    case "backoff":
      return state.fallback ? "polling" : "reconnecting";
    case "polling":
      return "polling";
    case "stopped":
      return "failed";
    case "closed":
      return "closed";
    default:
      return assertNever(state.phase);
  }
}

function connecting(state: ConnectionState): ConnectionState {
  return { ...state, phase: "connecting", attempt: state.attempt + 1 };
}

function live(state: ConnectionState): ConnectionState {
  return { phase: "live", attempt: 0, wasLive: true };
}

function stopped(state: ConnectionState, stopReason: StopReason): ConnectionState {
  return { phase: "stopped", attempt: 0, wasLive: state.wasLive, stopReason };
}

function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}
