import { DurableObject } from "cloudflare:workers";
import { sessionEndedError, verifyAccessToken } from "../auth/tokens.ts";
import type { Env } from "../env.ts";
import {
  CloseCode,
  MAX_BODY_CHARS,
  MAX_FRAME_BYTES,
  PING_TEXT,
  PONG_TEXT,
  ParleyError,
  errorBody,
  toParleyError,
  type ParseResult,
} from "../protocol/index.ts";
import { configOf, type Config } from "./config.ts";
import { randomId } from "./ids.ts";
import { createLogger, describeError, type LogFields, type Logger } from "./log.ts";
import { Counters } from "./counters.ts";
import { FORWARDED, encodeError, encodeFrame, refusal, sendText, type BaseSocketState, type SocketRegistry } from "./sockets.ts";

/** Who opens a socket: established by the Worker before the upgrade and forwarded in headers. */
export interface Identity {
  userId: string;
  username: string;
  /** Access token expiry, UTC ms. */
  expiresAt: number;
  /** The access token's login session (`sid`), when the Worker forwarded it. */
  sessionId?: string;
  requestId: string;
}

/** What every client frame of every socket has; the three frames the base answers itself. */
export interface BaseClientFrame {
  type: string;
  rid?: string | undefined;
  data?: unknown;
}

/**
 * The one socket actor: the mechanics every actor that holds WebSockets
 * shares, written once — the shape of partyserver's `Server`, with hooks
 * where the actors differ.
 *
 * It owns: the upgrade (426, the forwarded identity, the subclass's
 * admission check, the accept with hibernation), the frame loop (activity,
 * parsing through the subclass's schema, the bad-frame rule, token expiry,
 * `hello` → `hello.ack`, JSON `ping` → `pong`, `auth.refresh` in place, one
 * error path that turns anything thrown into the contract's error frame),
 * close and error events, the heartbeat sweep, alarm scheduling, and the
 * leveled logger.
 *
 * Hooks, in the order a socket meets them: `admit` (may this identity open
 * a socket?), `socketTags`, `helloFields` and `onHello`, `onFrame` (every
 * frame but hello, ping and auth.refresh), `onClose`; and `onStart` (after
 * construction, under `blockConcurrencyWhile`), `onAlarm` (returns when it
 * next needs to run).
 *
 * The runtime answers the text frame "ping" itself without waking the
 * actor (auto-response) and records when it did; the sweep reads that time
 * back, so an idle socket costs nothing and a silent one is still found.
 */
export abstract class SocketActor<
  S extends BaseSocketState,
  F extends BaseClientFrame,
  R extends SocketRegistry<S> = SocketRegistry<S>,
> extends DurableObject<Env> {
  protected readonly config: Config;
  protected readonly log: Logger;
  protected readonly sockets: R;
  /** The operators' counters of this actor (errors by code here; subclasses add theirs and flush them from their alarm). */
  protected readonly counters = new Counters();
  /** When the stored alarm fires (undefined: none is set). */
  #alarmAt: number | undefined;

  constructor(
    ctx: DurableObjectState,
    env: Env,
    makeSockets: (ctx: DurableObjectState, heartbeatMs: number, onClosed: (before: S, code: number, ws: WebSocket) => void, log: Logger) => R,
  ) {
    super(ctx, env);
    this.config = configOf(env);
    this.log = createLogger(this.config.logLevel, () => this.logFields());
    this.sockets = makeSockets(ctx, this.config.heartbeatMs, (before, code, ws) => this.onClose(before, code, ws), this.log);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_TEXT, PONG_TEXT));
    void ctx.blockConcurrencyWhile(async () => {
      // The subclass's constructor has not run yet when this callback starts:
      // one turn later it has, and its fields exist for onStart.
      await Promise.resolve();
      this.#alarmAt = (await ctx.storage.getAlarm()) ?? undefined;
      this.sockets.restore();
      await this.onStart();
    });
  }

  // -------------------------------------------------------------------------
  // Hooks
  // -------------------------------------------------------------------------

  /** After construction (and after every wake from hibernation), before any event. */
  protected onStart(): void | Promise<void> {}

  /** Parses one client frame with the socket's own schema. */
  protected abstract parse(raw: string | ArrayBuffer): ParseResult<F>;

  /** Why this identity may not open a socket here (answered as plain HTTP), or undefined to accept. */
  protected abstract admit(identity: Identity): ParleyError | undefined | Promise<ParleyError | undefined>;

  /**
   * A cap on open sockets, checked synchronously right before the accept
   * (after `admit`, which may await): no await lies between this count and
   * the accept, so two concurrent upgrades cannot both take the last place.
   */
  protected atCapacity(_identity: Identity): ParleyError | undefined {
    return undefined;
  }

  /** Tags the socket is accepted with, to find a group of sockets without a scan. */
  protected socketTags(_identity: Identity): string[] {
    return [];
  }

  /** Fields `hello.ack` carries besides the common ones (the conversation's id). */
  protected helloFields(): Record<string, unknown> {
    return {};
  }

  /** After `hello.ack` went out (the inbox sends its snapshot here). */
  protected onHello(_ws: WebSocket, _st: S, _rid: string | undefined): void | Promise<void> {}

  /** Every frame but `hello`, `ping` and `auth.refresh`, after the handshake. */
  protected abstract onFrame(ws: WebSocket, st: S, frame: F): void | Promise<void>;

  /** A socket is gone (closed by either side, failed, or swept); `before` is its last state. */
  protected onClose(_before: S, _code: number, _ws: WebSocket): void {}

  /** The alarm's own work besides the sweep; returns when it must run next, if it must. */
  protected onAlarm(_now: number): Promise<number | undefined> | number | undefined {
    return undefined;
  }

  /** Fields on every log line of this actor (`actor: Class:id`, …). */
  protected abstract logFields(): LogFields;

  // -------------------------------------------------------------------------
  // Runtime entry points
  // -------------------------------------------------------------------------

  /** The WebSocket upgrade, forwarded by the Worker after it authenticated the caller. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return refusal(new ParleyError("bad_request", "Expected a WebSocket upgrade."), 426);
    }
    const userId = request.headers.get(FORWARDED.userId);
    const username = request.headers.get(FORWARDED.username);
    if (!userId || !username) return refusal(new ParleyError("unauthorized", "Missing identity."));
    const sessionId = request.headers.get(FORWARDED.tokenSid);
    const identity: Identity = {
      userId,
      username,
      expiresAt: Number(request.headers.get(FORWARDED.tokenExp) ?? 0),
      ...(sessionId ? { sessionId } : {}),
      requestId: request.headers.get(FORWARDED.requestId) ?? randomId("r_", 12),
    };
    // A session signed out moments ago, through a Worker isolate whose standing of the user is older (§22.19).
    if (identity.sessionId !== undefined && this.sockets.sessionEndedLately(identity.sessionId)) return refusal(sessionEndedError());
    const denied = (await this.admit(identity)) ?? this.atCapacity(identity);
    if (denied) return refusal(denied);
    const pair = new WebSocketPair();
    const now = Date.now();
    const st = {
      sid: randomId("s_", 16),
      uid: identity.userId,
      uname: identity.username,
      exp: identity.expiresAt,
      ...(identity.sessionId ? { tsid: identity.sessionId } : {}),
      phase: "new",
      bad: [],
      seen: now,
      req: identity.requestId,
    } as BaseSocketState as S;
    this.sockets.accept(pair[1], st, this.socketTags(identity));
    this.scheduleAlarm(now + this.config.heartbeatMs);
    this.log("info", "socket.connected", { session_id: st.sid, user_id: st.uid, request_id: st.req });
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const st = this.sockets.state(ws);
    if (!st) return;
    this.sockets.touch(ws, st);
    const parsed = this.parse(raw);
    if (!parsed.ok) {
      this.counters.add(`errors.${parsed.error.code}`);
      return this.sockets.badFrame(ws, st, parsed.error, parsed.rid);
    }
    const frame = parsed.frame;
    try {
      if (frame.type !== "auth.refresh" && st.exp <= Date.now()) {
        return this.sockets.close(ws, st, CloseCode.TOKEN_EXPIRED, "token expired", { reason: "token_expired", retry: true });
      }
      if (st.phase === "new" && frame.type !== "hello") {
        return this.sockets.badFrame(ws, st, new ParleyError("handshake_required", "Send hello first."), frame.rid);
      }
      switch (frame.type) {
        case "hello":
          return await this.#hello(ws, st, frame.rid);
        case "ping":
          sendText(ws, encodeFrame("pong", { server_time: Date.now() }, frame.rid));
          return;
        case "auth.refresh":
          return await this.#refresh(ws, st, (frame.data as { access_token: string }).access_token, frame.rid);
        default:
          return await this.onFrame(ws, st, frame);
      }
    } catch (e) {
      const error = toParleyError(e);
      this.counters.add(`errors.${error.code}`);
      this.log(error.code === "internal" ? "error" : "warn", "socket.request_failed", {
        session_id: st.sid, user_id: st.uid, type: frame.type, code: error.code, error: describeError(e),
      });
      sendText(ws, encodeError(error.toBody(), frame.rid));
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.sockets.closed(ws, code, reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.sockets.failed(ws, describeError(error));
  }

  /**
   * The heartbeat sweep, then the subclass's own duties; the alarm is set
   * again for whichever comes first. The sweep runs on every alarm, also
   * those that come for deliveries: a pass over the sockets costs a native
   * call each, far less than the deliveries themselves.
   */
  override async alarm(): Promise<void> {
    this.#alarmAt = undefined;
    const open = this.sockets.sweep(Date.now());
    const due = await this.onAlarm(Date.now());
    const next = [open > 0 ? Date.now() + this.config.heartbeatMs : undefined, due].filter((t): t is number => t !== undefined);
    if (next.length > 0) this.scheduleAlarm(Math.min(...next));
  }

  // -------------------------------------------------------------------------
  // For subclasses
  // -------------------------------------------------------------------------

  /** Brings the alarm forward to `at` (never pushes it back; a time in the past means now). */
  protected scheduleAlarm(at: number): void {
    at = Math.max(at, Date.now());
    if (this.#alarmAt !== undefined && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  // -------------------------------------------------------------------------
  // Frames every socket answers the same way
  // -------------------------------------------------------------------------

  async #hello(ws: WebSocket, st: S, rid: string | undefined): Promise<void> {
    if (st.phase !== "new") return this.sockets.badFrame(ws, st, new ParleyError("bad_request", "type: hello was already received."), rid);
    st.phase = "ready";
    this.sockets.save(ws, st);
    sendText(ws, encodeFrame("hello.ack", {
      session_id: st.sid,
      user_id: st.uid,
      ...this.helloFields(),
      server_time: Date.now(),
      heartbeat_ms: this.config.heartbeatMs,
      limits: { max_body_chars: MAX_BODY_CHARS, max_frame_bytes: MAX_FRAME_BYTES, send_rate: { ...this.config.sendRate } },
    }, rid));
    await this.onHello(ws, st, rid);
  }

  /** Swaps the socket's token in place; a token of another user closes the socket (4003). */
  async #refresh(ws: WebSocket, st: S, token: string, rid: string | undefined): Promise<void> {
    const principal = await verifyAccessToken(this.env.AUTH_SECRET, token);
    if (principal.userId !== st.uid) {
      sendText(ws, encodeError(errorBody("forbidden", "The new token belongs to another user."), rid));
      this.sockets.close(ws, st, CloseCode.FORBIDDEN, "token of another user");
      return;
    }
    st.exp = principal.expiresAt;
    st.tsid = principal.sessionId;
    this.sockets.save(ws, st);
    sendText(ws, encodeFrame("auth.refreshed", { expires_at: principal.expiresAt }, rid));
  }
}
