/**
 * The floor: the least a Durable Object chat room must do to speak Parley's
 * frames, so that `npm run bench` can say how far above it Parley runs.
 * Bench only — it is bound by test/bench/floor/wrangler.toml and never by
 * the shipped wrangler.toml, so it is never deployed.
 *
 * What it does, and nothing more: hibernating sockets (auto-answered text
 * `ping`, per-socket state in the attachment), `hello` → `hello.ack`,
 * `conversation.join` → `conversation.joined`, and `message.send` → one
 * INSERT with `seq = last + 1` → `message.ack` to the sender, then
 * `message.new` to every joined socket, the sender's included. No auth, no
 * membership, no rate limit, no idempotency, no presence, no outbox, no
 * logging, no schema check: each of those is part of what Parley's numbers
 * above the floor have to pay for.
 *
 * The same guarantee as Parley where it is free: the ack and the broadcast
 * are sent in the same event as the INSERT, and the output gate holds them
 * until the write is durable, so an ack still means "stored".
 */
import { DurableObject } from "cloudflare:workers";

/** Kept in the socket's attachment, so it survives hibernation. */
interface SocketState {
  sid: string;
  uid: string;
  room: string;
  joined: boolean;
}

interface Frame {
  v?: number;
  type?: string;
  rid?: string;
  data?: { client_msg_id?: string; body?: string };
}

/** What Parley announces by default (src/protocol/limits.ts), except the send rate. */
const HEARTBEAT_MS = 30_000;
const MAX_BODY_CHARS = 4000;
const MAX_FRAME_BYTES = 64 * 1024;
/**
 * The floor enforces no send limit. It announces the lifted limit the bench
 * gives Parley (SEND_RATE 1000000/1000), so the bench's pacer, which mirrors
 * whatever `hello.ack` announces, never holds a floor sender back.
 */
const SEND_RATE = { messages: 1_000_000, per_ms: 1000 };

export class Floor extends DurableObject<object> {
  readonly #sql: SqlStorage;
  #lastSeq: number;
  /**
   * Socket states in memory. Built from the attachments on first use after
   * the object is constructed (also after a wake from hibernation, when the
   * sockets are still open but this instance is new).
   */
  #states: Map<WebSocket, SocketState> | undefined;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    // SQL calls are synchronous, so the constructor needs no
    // blockConcurrencyWhile: no event can run before these two lines have.
    this.#sql.exec("CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, client_msg_id TEXT, sender TEXT, body TEXT, created_at INTEGER)");
    this.#lastSeq = this.#sql.exec<{ last: number | null }>("SELECT MAX(seq) AS last FROM messages").one().last ?? 0;
    // Answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** The upgrade, routed here by test/bench/floor/entry.ts: `/bench/floor/{room}/ws?user=…`. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("This endpoint needs a WebSocket upgrade.", { status: 426 });
    }
    const url = new URL(request.url);
    const pair = new WebSocketPair();
    const st: SocketState = {
      sid: crypto.randomUUID(),
      uid: url.searchParams.get("user") ?? "anonymous",
      room: decodeURIComponent(url.pathname.split("/")[3] ?? ""),
      joined: false,
    };
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment(st);
    this.#sockets().set(pair[1], st);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  override async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    const st = this.#sockets().get(ws);
    if (!st || typeof raw !== "string") return;
    let frame: Frame;
    try {
      frame = JSON.parse(raw) as Frame;
    } catch {
      return;
    }
    const rid = frame.rid;
    switch (frame.type) {
      case "hello":
        ws.send(JSON.stringify({
          v: 1, type: "hello.ack", rid,
          data: {
            session_id: st.sid,
            user_id: st.uid,
            conversation_id: st.room,
            server_time: Date.now(),
            heartbeat_ms: HEARTBEAT_MS,
            limits: { max_body_chars: MAX_BODY_CHARS, max_frame_bytes: MAX_FRAME_BYTES, send_rate: SEND_RATE },
          },
        }));
        return;
      case "conversation.join":
        st.joined = true;
        ws.serializeAttachment(st);
        ws.send(JSON.stringify({
          v: 1, type: "conversation.joined", rid,
          data: { conversation: { id: st.room, kind: "group", members: [], last_seq: this.#lastSeq }, online: [], receipts: [] },
        }));
        return;
      case "message.send": {
        if (!st.joined) {
          ws.send(JSON.stringify({ v: 1, type: "error", rid, data: { code: "not_joined", message: "Send conversation.join first.", retryable: false } }));
          return;
        }
        const clientMsgId = String(frame.data?.client_msg_id ?? "");
        const body = String(frame.data?.body ?? "");
        // Synchronous from the INSERT to the last send: nothing interleaves,
        // so seq = last + 1 needs no lock.
        const seq = this.#lastSeq + 1;
        const now = Date.now();
        this.#sql.exec("INSERT INTO messages (seq, client_msg_id, sender, body, created_at) VALUES (?, ?, ?, ?, ?)", seq, clientMsgId, st.uid, body, now);
        this.#lastSeq = seq;
        const serverMsgId = `m_${seq}`;
        ws.send(JSON.stringify({
          v: 1, type: "message.ack", rid,
          data: { client_msg_id: clientMsgId, server_msg_id: serverMsgId, seq, created_at: now, duplicate: false },
        }));
        const text = JSON.stringify({
          v: 1, type: "message.new",
          data: { message: { conversation_id: st.room, seq, server_msg_id: serverMsgId, client_msg_id: clientMsgId, sender_id: st.uid, body, created_at: now } },
        });
        for (const [other, os] of this.#sockets()) {
          if (!os.joined) continue;
          try {
            other.send(text);
          } catch {
            // Closing under us; its close event removes it.
          }
        }
        return;
      }
      case "ping":
        ws.send(JSON.stringify({ v: 1, type: "pong", rid, data: { server_time: Date.now() } }));
        return;
      default:
        ws.send(JSON.stringify({ v: 1, type: "error", rid, data: { code: "bad_request", message: `The floor does not handle ${String(frame.type)}.`, retryable: false } }));
    }
  }

  override async webSocketClose(ws: WebSocket): Promise<void> {
    this.#forget(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.#forget(ws);
  }

  #forget(ws: WebSocket): void {
    this.#states?.delete(ws);
    try {
      // Completes the closing handshake; the client's own code may be one
      // (1005, 1006) that an endpoint must not send, so answer 1000.
      ws.close(1000, "bye");
    } catch {
      // Already closed.
    }
  }

  #sockets(): Map<WebSocket, SocketState> {
    if (!this.#states) {
      this.#states = new Map();
      for (const ws of this.ctx.getWebSockets()) {
        const st = ws.deserializeAttachment() as SocketState | null;
        if (st) this.#states.set(ws, st);
      }
    }
    return this.#states;
  }
}
