/**
 * A browser's cookies for tests that follow redirects by hand with `fetch`
 * (the OAuth end-to-end tests): keeps what `Set-Cookie` sets per host,
 * honours `Max-Age=0` and `Path`, and sends back what a browser would.
 * SameSite is not modelled: the tests that need it run in Chromium.
 */
export class CookieJar {
  readonly #cookies = new Map<string, { value: string; path: string; host: string }>();

  /** Stores every cookie a response sets. */
  take(url: string, res: Response): void {
    const host = new URL(url).host;
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      const path = attrs.find((a) => a.toLowerCase().startsWith("path="))?.slice(5) ?? "/";
      const maxAge = attrs.find((a) => a.toLowerCase().startsWith("max-age="));
      const key = `${host} ${name} ${path}`;
      if ((maxAge && Number(maxAge.slice(8)) <= 0) || value === "") this.#cookies.delete(key);
      else this.#cookies.set(key, { value, path, host });
    }
  }

  /** The Cookie header for a request to `url`. */
  header(url: string): string {
    const u = new URL(url);
    return [...this.#cookies.entries()]
      .filter(([, c]) => c.host === u.host && (u.pathname === c.path || u.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`)))
      .map(([key, c]) => `${key.split(" ")[1]}=${c.value}`)
      .join("; ");
  }

  get(name: string): string | undefined {
    for (const [key, c] of this.#cookies) if (key.split(" ")[1] === name) return c.value;
    return undefined;
  }

  /** A GET (or any request) with the jar's cookies, not following redirects; stores what it sets. */
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = this.header(url);
    const res = await fetch(url, {
      ...init,
      redirect: "manual",
      headers: { ...(init.headers as Record<string, string> | undefined), ...(cookie ? { cookie } : {}) },
      signal: AbortSignal.timeout(15_000),
    });
    this.take(url, res);
    return res;
  }
}
