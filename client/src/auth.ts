/**
 * Where the SDK gets access tokens. Either a fixed `token`, or hooks:
 * `getToken` returns the current token (it may be async: read a store, ask
 * your backend), and `refreshToken` gets a new one when the server says the
 * old one expired (close 4101, HTTP 401).
 */
export interface AuthOptions {
  /** A fixed access token. */
  token?: string;
  /** Returns the current access token; called before every connection attempt and REST call. */
  getToken?: () => string | Promise<string>;
  /**
   * Returns a new access token (and stores it where `getToken` finds it).
   * Called single-flight: concurrent callers share one call, because Parley
   * treats two refreshes with the same refresh token as theft (docs/auth.md).
   * Without it, an expired token stops the connection.
   */
  refreshToken?: () => Promise<string>;
}

export type RefreshResult = { ok: true; token: string } | { ok: false; message: string };

export class TokenSource {
  readonly #getToken: (() => string | Promise<string>) | undefined;
  readonly #refreshToken: (() => Promise<string>) | undefined;
  readonly #listeners = new Set<(token: string) => void>();
  #token: string | undefined;
  #refreshing: Promise<RefreshResult> | undefined;

  constructor(options: AuthOptions) {
    if (options.token === undefined && options.getToken === undefined) {
      throw new TypeError("Parley: pass `token` or `getToken` to ParleyClient, so it can authenticate.");
    }
    this.#token = options.token;
    this.#getToken = options.getToken;
    this.#refreshToken = options.refreshToken;
  }

  /** The current access token. */
  async current(): Promise<string> {
    if (this.#getToken) return await this.#getToken();
    return this.#token!;
  }

  /** A new token; concurrent calls share one refresh. Never throws. */
  refresh(): Promise<RefreshResult> {
    if (!this.#refreshToken) {
      return Promise.resolve({ ok: false, message: "the access token was refused and no refreshToken hook was given" });
    }
    this.#refreshing ??= this.#refreshToken()
      .then((token): RefreshResult => {
        this.#token = token;
        for (const listener of [...this.#listeners]) listener(token);
        return { ok: true, token };
      })
      .catch((err: unknown): RefreshResult => ({ ok: false, message: `refreshing the access token failed: ${errorText(err)}` }))
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
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
