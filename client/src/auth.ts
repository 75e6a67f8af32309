import { ParleyError } from "../../src/protocol/index.ts";
import { backoffDelay } from "./backoff.ts";
import type { ParleyEventError } from "./socket.ts";
import type { Timing } from "./timing.ts";
import { cancelTimeout, type Timer } from "./timers.ts";
import { jwtExpiresAt, refreshDelay } from "./token-expiry.ts";

/**
 * An access token, with its expiry when known: a login or refresh answer
 * (`{access_token, expires_at, …}`, ms) fits as it is. For a bare string the
 * SDK reads the JWT's `exp` claim (decoding only; it verifies nothing).
 */
export type AccessToken = string | { access_token: string; expires_at?: number };

/**
 * Where the SDK gets access tokens. Either a fixed `token`, or hooks:
 * `getToken` returns the current token (it may be async: read a store, ask
 * your backend), and `refreshToken` gets a new one — ahead of the current
 * one's expiry (timing.ts, `TOKEN_REFRESH_MARGIN_MS`), and whenever the
 * server says the old one expired (close 4101, HTTP 401).
 */
export interface AuthOptions {
  /** A fixed access token (replaced by each refresh). */
  token?: AccessToken;
  /** Returns the current access token; called before every connection attempt and REST call. */
  getToken?: () => AccessToken | Promise<AccessToken>;
  /**
   * Returns a new access token (and stores it where `getToken` finds it).
   * Called single-flight: concurrent callers share one call, because Parley
   * treats two refreshes with the same refresh token as theft (docs/auth.md).
   * Without it, an expired token stops the connection. A `ParleyError` with
   * code `unauthorized` (the session is over) is not retried ahead of expiry.
   */
  refreshToken?: () => Promise<AccessToken>;
}

export type RefreshResult =
  | { ok: true; token: string }
  /** `final`: the refresh was refused (`unauthorized`), so trying again cannot help. */
  | { ok: false; message: string; final: boolean };

/**
 * The client's tokens: the current one, refreshes (single-flight), and the
 * proactive refresh — a timer set for every token whose expiry is known,
 * that refreshes it shortly before it expires. The new token then reaches
 * open sockets through `onRefreshed` listeners (`auth.refresh`, in place).
 * A proactive refresh that fails keeps the old token and is retried with
 * backoff while the old token lasts; after that, the 4101 / 401 path that
 * calls `refresh()` on demand takes over.
 */
export class TokenSource {
  readonly #getToken: (() => AccessToken | Promise<AccessToken>) | undefined;
  readonly #refreshToken: (() => Promise<AccessToken>) | undefined;
  readonly #timing: Timing;
  readonly #report: (error: ParleyEventError) => void;
  readonly #listeners = new Set<(token: string) => void>();
  #token: string | undefined;
  #refreshing: Promise<RefreshResult> | undefined;
  /** The token the timer is set for. */
  #tracked: { token: string; expiresAt: number } | undefined;
  /** The token the last refresh replaced: a `getToken` that answered before the refresh ended may still return it. */
  #replaced: string | undefined;
  #timer: Timer | undefined;
  /** Proactive refreshes of the tracked token that failed in a row. */
  #failures = 0;
  #destroyed = false;

  constructor(options: AuthOptions, timing: Timing, report: (error: ParleyEventError) => void = () => undefined) {
    if (options.token === undefined && options.getToken === undefined) {
      throw new TypeError("Parley: pass `token` or `getToken` to ParleyClient, so it can authenticate.");
    }
    this.#getToken = options.getToken;
    this.#refreshToken = options.refreshToken;
    this.#timing = timing;
    this.#report = report;
    if (options.token !== undefined && !this.#getToken) this.#token = this.#track(options.token, false);
  }

  /** The current access token. */
  async current(): Promise<string> {
    if (this.#getToken) return this.#track(await this.#getToken(), false);
    return this.#token!;
  }

  /** A new token; concurrent calls share one refresh. Never throws. */
  refresh(): Promise<RefreshResult> {
    if (!this.#refreshToken) {
      return Promise.resolve({ ok: false, final: true, message: "the access token was refused and no refreshToken hook was given" });
    }
    this.#refreshing ??= this.#refreshToken()
      .then((value): RefreshResult => {
        const previous = this.#tracked?.token ?? this.#token;
        const token = this.#track(value, true);
        if (previous !== token) this.#replaced = previous;
        this.#token = token;
        for (const listener of [...this.#listeners]) listener(token);
        return { ok: true, token };
      })
      .catch(
        (err: unknown): RefreshResult => ({
          ok: false,
          final: err instanceof ParleyError && err.code === "unauthorized",
          message: `refreshing the access token failed: ${errorText(err)}`,
        }),
      )
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  /** Called with every token a refresh produced (open sockets swap it in place). */
  onRefreshed(listener: (token: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the proactive refresh for good (the client was destroyed). */
  destroy(): void {
    this.#destroyed = true;
    this.#schedule(undefined);
    this.#tracked = undefined;
    this.#listeners.clear();
  }

  /**
   * Returns the token as a string and, when it is a token not seen before,
   * learns its expiry and sets the timer of its proactive refresh. `fresh`:
   * a refresh has just produced it (see `refreshDelay`).
   */
  #track(value: AccessToken, fresh: boolean): string {
    const token = typeof value === "string" ? value : value?.access_token;
    if (typeof token !== "string" || token === "") {
      throw new TypeError("Parley: a token must be a non-empty string or an object with a non-empty `access_token`.");
    }
    if (this.#destroyed || !this.#refreshToken) return token;
    if (!fresh && (token === this.#tracked?.token || token === this.#replaced)) return token;
    const given = typeof value === "string" ? undefined : value.expires_at;
    const expiresAt = typeof given === "number" && Number.isFinite(given) ? given : jwtExpiresAt(token);
    this.#tracked = expiresAt === undefined ? undefined : { token, expiresAt };
    this.#failures = 0;
    this.#schedule(expiresAt === undefined ? undefined : refreshDelay(expiresAt, Date.now(), fresh, this.#timing));
    return token;
  }

  #schedule(delay: number | undefined): void {
    cancelTimeout(this.#timer);
    this.#timer = undefined;
    if (delay === undefined || this.#destroyed) return;
    const timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#refreshAhead();
    }, delay);
    // In Node, a refresh due in 14 minutes must not keep a finished script alive.
    (timer as unknown as { unref?: () => void }).unref?.();
    this.#timer = timer;
  }

  async #refreshAhead(): Promise<void> {
    const tracked = this.#tracked;
    if (!tracked) return;
    const result = await this.refresh();
    // A success has already set the timer for the new token.
    if (result.ok || this.#destroyed || this.#tracked !== tracked) return;
    this.#failures += 1;
    const delay = backoffDelay(this.#failures, this.#timing);
    const retry = !result.final && Date.now() + delay < tracked.expiresAt;
    this.#report({
      kind: "refresh_failed",
      message:
        `${result.message}; ` +
        (result.final
          ? "not retried, as the refresh was refused: sign in again."
          : retry
            ? `the current token stays in use, and the refresh is tried again in ${delay} ms.`
            : "the current token expires before another try; it is refreshed when the server asks (close 4101, HTTP 401)."),
    });
    if (retry) this.#schedule(delay);
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
