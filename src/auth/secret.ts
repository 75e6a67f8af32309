/**
 * The deployment secret, `AUTH_SECRET`: the HS256 key of access tokens, the
 * HMAC key of refresh tokens, and the root of the key that signs
 * conversation ids (src/shared/ids.ts). Every path that uses it checks it
 * first, before anything is written, so a misconfigured deployment refuses
 * requests instead of half-doing them (a refresh that rotated the stored
 * token and then could not mint the access token would end the session).
 */

/** Fewest bytes (UTF-8) of a secret: 256 bits, the size of an HS256 key. */
export const MIN_SECRET_BYTES = 32;

/**
 * The secret `npm start` passes on its command line (package.json). It is
 * public — it is in the repository — so it is refused unless DEV_LOGIN is
 * "true", which no production deployment sets.
 */
export const PUBLIC_DEV_SECRET = "parley-local-development-secret-not-for-production";

/** What is wrong with a secret for a deployment, or undefined when it may be used. */
export function secretProblem(secret: string | undefined, devLogin: boolean): string | undefined {
  if (!secret) return "AUTH_SECRET is not set; set it with `wrangler secret put AUTH_SECRET`.";
  if (new TextEncoder().encode(secret).length < MIN_SECRET_BYTES) {
    return `AUTH_SECRET is shorter than ${MIN_SECRET_BYTES} bytes; set a longer one with \`wrangler secret put AUTH_SECRET\`.`;
  }
  if (secret === PUBLIC_DEV_SECRET && !devLogin) {
    return "AUTH_SECRET is the public development secret of `npm start`; it is refused unless DEV_LOGIN is \"true\". Set a secret of your own with `wrangler secret put AUTH_SECRET`.";
  }
  return undefined;
}

/** The variables `authSecret` reads. */
export interface SecretVars {
  AUTH_SECRET?: string;
  DEV_LOGIN?: string;
}

const checked = new WeakMap<object, string>();

/**
 * The deployment's secret, checked (once per `env` object). Throws a plain
 * Error for a bad one: a configuration fault, not the caller's, which the
 * error handler answers as `500 internal` and logs with this message.
 */
export function authSecret(env: SecretVars): string {
  const known = checked.get(env);
  if (known !== undefined) return known;
  const problem = secretProblem(env.AUTH_SECRET, env.DEV_LOGIN === "true");
  if (problem) throw new Error(problem);
  checked.set(env, env.AUTH_SECRET!);
  return env.AUTH_SECRET!;
}

/**
 * The check the token functions make on the raw secret they are given
 * (length only: they do not know DEV_LOGIN; the Worker checks that with
 * `authSecret` before it calls them).
 */
export function requireSecretBytes(secret: string | undefined): string {
  const problem = secretProblem(secret, true);
  if (problem) throw new Error(problem);
  return secret!;
}
