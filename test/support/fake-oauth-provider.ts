/**
 * A fake OAuth 2.0 / OpenID Connect provider for end-to-end and browser
 * tests, on 127.0.0.1 with a free port, started and stopped by the test.
 * It plays GitHub (`/github/authorize`, `/github/token`, `/github/user`) and
 * Google (`/google/authorize`, `/google/token` answering an ID token) the
 * way Parley uses them:
 *
 * - authorize: approves at once, as the account the test set with
 *   `signInAs(provider, account)`, and redirects to `redirect_uri` with a
 *   code and the `state`; the code remembers the client, the redirect URI,
 *   the PKCE challenge and the nonce.
 * - token: checks the client secret, the redirect URI, and the
 *   `code_verifier` against the S256 challenge; a code works once. A
 *   refusal answers as each provider does (GitHub: 200 with `error`;
 *   Google: 400 with `error`).
 *
 * Every token request is recorded in `tokenRequests`, with whether its
 * verifier matched. The ID token's signature is not meant to be checked
 * (decision 0019): it is a fixed string.
 *
 * To extend: add a knob or a record here, and keep the two providers'
 * quirks in their own handlers.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type FakeProviderName = "github" | "google";

export interface FakeAccount {
  /** GitHub: the numeric id; Google: the `sub`. */
  id: string;
  login?: string;
  email?: string;
}

interface Grant {
  provider: FakeProviderName;
  clientId: string;
  redirectUri: string;
  challenge: string;
  method: string;
  nonce: string | null;
  account: FakeAccount;
}

export const FAKE_CLIENTS: Record<FakeProviderName, { id: string; secret: string }> = {
  github: { id: "fake-github-client", secret: "fake-github-secret" },
  google: { id: "fake-google-client.apps.example", secret: "fake-google-secret" },
};

export class FakeOAuthProvider {
  readonly tokenRequests: Array<{ provider: FakeProviderName; verifierMatched: boolean; ok: boolean }> = [];
  readonly #codes = new Map<string, Grant>();
  readonly #tokens = new Map<string, FakeAccount>();
  readonly #accounts: Record<FakeProviderName, FakeAccount> = { github: { id: "1", login: "octocat" }, google: { id: "g1", email: "ada@example.com" } };
  #server!: Server;
  #port = 0;

  static async start(): Promise<FakeOAuthProvider> {
    const provider = new FakeOAuthProvider();
    provider.#server = createServer((req, res) => {
      provider.#handle(req, res).catch((e) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "server_error", detail: String(e) }));
      });
    });
    await new Promise<void>((resolve) => provider.#server.listen(0, "127.0.0.1", resolve));
    provider.#port = (provider.#server.address() as { port: number }).port;
    return provider;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The engine's settings that point a provider at this fake. */
  vars(): Record<string, string> {
    return {
      GITHUB_CLIENT_ID: FAKE_CLIENTS.github.id,
      GITHUB_CLIENT_SECRET: FAKE_CLIENTS.github.secret,
      GITHUB_AUTHORIZE_URL: `${this.url}/github/authorize`,
      GITHUB_TOKEN_URL: `${this.url}/github/token`,
      GITHUB_USER_URL: `${this.url}/github/user`,
      GOOGLE_CLIENT_ID: FAKE_CLIENTS.google.id,
      GOOGLE_CLIENT_SECRET: FAKE_CLIENTS.google.secret,
      GOOGLE_AUTHORIZE_URL: `${this.url}/google/authorize`,
      GOOGLE_TOKEN_URL: `${this.url}/google/token`,
      GOOGLE_ISSUER: `${this.url}/google`,
    };
  }

  /** The account the provider signs in as from now on. */
  signInAs(provider: FakeProviderName, account: FakeAccount): void {
    this.#accounts[provider] = account;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const [, provider, step] = url.pathname.split("/") as [string, FakeProviderName, string];
    if (provider !== "github" && provider !== "google") return json(res, 404, { error: "not_found" });
    if (step === "authorize" && req.method === "GET") return this.#authorize(provider, url, res);
    if (step === "token" && req.method === "POST") return this.#token(provider, new URLSearchParams(await body(req)), res);
    if (step === "user" && req.method === "GET" && provider === "github") {
      const account = this.#tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (!req.headers["user-agent"]) return json(res, 403, { message: "User-Agent required" });
      return account ? json(res, 200, { id: Number(account.id), login: account.login ?? null }) : json(res, 401, { message: "Bad credentials" });
    }
    return json(res, 404, { error: "not_found" });
  }

  #authorize(provider: FakeProviderName, url: URL, res: ServerResponse): void {
    const p = url.searchParams;
    const redirect = p.get("redirect_uri");
    if (p.get("client_id") !== FAKE_CLIENTS[provider].id || !redirect) return json(res, 400, { error: "invalid_client" });
    const code = randomBytes(16).toString("hex");
    this.#codes.set(code, {
      provider, clientId: p.get("client_id")!, redirectUri: redirect, challenge: p.get("code_challenge") ?? "",
      method: p.get("code_challenge_method") ?? "", nonce: p.get("nonce"), account: this.#accounts[provider],
    });
    const back = new URL(redirect);
    back.searchParams.set("code", code);
    back.searchParams.set("state", p.get("state") ?? "");
    res.writeHead(302, { location: back.toString() }).end();
  }

  #token(provider: FakeProviderName, form: URLSearchParams, res: ServerResponse): void {
    const refuse = (error: string) => {
      this.tokenRequests.push({ provider, verifierMatched: false, ok: false });
      return provider === "github" ? json(res, 200, { error, error_description: error }) : json(res, 400, { error });
    };
    const code = form.get("code") ?? "";
    const grant = this.#codes.get(code);
    this.#codes.delete(code);
    if (!grant || grant.provider !== provider) return refuse("bad_verification_code");
    if (form.get("client_id") !== FAKE_CLIENTS[provider].id || form.get("client_secret") !== FAKE_CLIENTS[provider].secret) return refuse("incorrect_client_credentials");
    if (form.get("redirect_uri") !== grant.redirectUri) return refuse("redirect_uri_mismatch");
    const verifier = form.get("code_verifier") ?? "";
    const matched = grant.method === "S256" && createHash("sha256").update(verifier).digest("base64url") === grant.challenge;
    if (!matched) return refuse("invalid_grant");
    const accessToken = randomBytes(16).toString("hex");
    this.#tokens.set(accessToken, grant.account);
    this.tokenRequests.push({ provider, verifierMatched: true, ok: true });
    if (provider === "github") return json(res, 200, { access_token: accessToken, token_type: "bearer", scope: "read:user" });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: `${this.url}/google`, aud: grant.clientId, sub: grant.account.id, email: grant.account.email, email_verified: true,
      nonce: grant.nonce, iat: now, exp: now + 300,
    };
    const idToken = [{ alg: "RS256", typ: "JWT" }, claims].map((x) => Buffer.from(JSON.stringify(x)).toString("base64url")).join(".") + ".c2lnbmF0dXJl";
    return json(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: 3599, id_token: idToken, scope: "openid email profile" });
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text;
}
