import { SocketRegistry } from "../shared/sockets.ts";
import { isJoined, sendText, type SocketState } from "./sockets.ts";

/**
 * The sockets of one conversation actor: the shared socket mechanics, plus
 * who is online and broadcast to joined sockets. It knows nothing of
 * messages or members; the actor decides, the room delivers. Sockets are
 * tagged by user, so a member's sockets are found without a scan.
 */
export class Room extends SocketRegistry<SocketState> {
  /** Users with at least one joined, open socket (other than `except`). */
  online(except?: WebSocket): Set<string> {
    const users = new Set<string>();
    for (const [ws, st] of this.open()) if (ws !== except && isJoined(st)) users.add(st.uid);
    return users;
  }

  /** Sends a frame to every open, joined socket that `to` selects. */
  broadcast(text: string, to: (st: SocketState, ws: WebSocket) => boolean): void {
    for (const [ws, st] of this.open()) if (isJoined(st) && to(st, ws)) sendText(ws, text);
  }
}
