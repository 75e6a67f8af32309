/**
 * WebSocket close codes (PROTOCOL §1). The range fixes what a client does
 * next, so a client needs no table of individual codes:
 *   4000–4099  stop: do not reconnect
 *   4100–4199  get a new token, then reconnect
 *   4200–4299  reconnect with backoff
 * The server never sends 1005, 1006 or 1015 (they are reserved for the
 * local end to report, never to put on the wire).
 */
export const CloseCode = {
  /** Forbidden, or removed from the conversation. */
  FORBIDDEN: 4003,
  /** Too many bad frames, or another breach of the protocol. */
  POLICY_VIOLATION: 4008,
  /** The access token expired and was not refreshed in place. */
  TOKEN_EXPIRED: 4101,
  /** The server is shutting down or restarting. */
  SERVER_SHUTDOWN: 4200,
  /** A newer socket took this one's place. */
  REPLACED: 4201,
  /** No frame or ping for two heartbeat intervals (PARLEY extension of §1). */
  HEARTBEAT_TIMEOUT: 4202,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** True when a client should reconnect (after backoff) without a new token. */
export function shouldReconnect(code: number): boolean {
  return (code >= 4200 && code <= 4299) || code < 4000;
}

/** True when a client must get a new token before it reconnects. */
export function shouldReauthenticate(code: number): boolean {
  return code >= 4100 && code <= 4199;
}

/** True when a client must not reconnect at all. */
export function isTerminal(code: number): boolean {
  return code >= 4000 && code <= 4099;
}
