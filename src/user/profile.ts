import type { Env } from "../env.ts";
import { ParleyError, type MeResponse } from "../protocol/index.ts";
import { describeError, type LogFields } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { toUserView, type ProfileRecord, type UserStore } from "./store.ts";

/** Wait before pushing a profile change to the Directory again after a failure. */
export const DIRECTORY_RETRY_MS = 30_000;

/**
 * The user's profile and its copy in the Directory. The User actor owns the
 * profile; the Directory keeps display name and avatar for search, stamped
 * with the profile's version so a late or repeated copy never overwrites a
 * newer one.
 */
export class Profiles {
  readonly #store: UserStore;
  readonly #env: Env;
  readonly #retryAt: (at: number) => void;
  readonly #log: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void;

  constructor(
    store: UserStore,
    env: Env,
    retryAt: (at: number) => void,
    logger: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void,
  ) {
    this.#store = store;
    this.#env = env;
    this.#retryAt = retryAt;
    this.#log = logger;
  }

  /**
   * The profile, created on first contact. A user who logged in through dev
   * login is in the Directory already; a user whose token another backend
   * minted is registered now (just in time), which refuses a username held
   * by another id, or an id registered under another username.
   *
   * `username` is the token's `name` claim. Once the profile exists it must
   * name the registered user (in any case): the stored username, the
   * Directory's, is the one shown, and a token claiming another is refused
   * here — at `GET`/`PATCH /v1/me` and the inbox upgrade — without a
   * Directory call on every request.
   */
  async ensure(userId: string, username: string): Promise<Result<ProfileRecord>> {
    const existing = this.#store.profile();
    if (existing) {
      if (existing.user_id !== userId) return err(new ParleyError("forbidden", "This actor belongs to another user."));
      if (existing.username.toLowerCase() !== username.toLowerCase()) return err(nameMismatch(username, existing.username));
      return ok(existing);
    }
    const registered = await this.#directory().register(userId, username);
    if (!registered.ok) return registered;
    this.#log("info", "user.registered", { user_id: userId, username: registered.value.username });
    return ok(this.#store.createProfile(userId, registered.value.username, Date.now()));
  }

  me(profile: ProfileRecord): MeResponse {
    return { user: toUserView(profile), settings: this.#store.settings() };
  }

  /**
   * Copies display name and avatar to the Directory when it lags behind. A
   * failed call is retried (by the actor's alarm); a refusal is logged and
   * not retried, since repeating it cannot change the answer.
   */
  async syncDirectory(): Promise<void> {
    const p = this.#store.profile();
    if (!p || p.directory_version >= p.version) return;
    try {
      const result = await this.#directory().setProfile(p.user_id, { display_name: p.display_name, avatar_url: p.avatar_url }, p.version);
      if (result.ok) this.#store.directorySynced(p.version);
      else this.#log("error", "directory.sync_refused", { code: result.error.code, error: result.error.message });
    } catch (e) {
      this.#log("warn", "directory.sync_failed", { version: p.version, error: describeError(e) });
      this.#retryAt(Date.now() + DIRECTORY_RETRY_MS);
    }
  }

  #directory() {
    return this.#env.DIRECTORY.get(this.#env.DIRECTORY.idFromName("global"));
  }
}

/** A token whose `name` is not the registered username of its `sub`. */
export function nameMismatch(claimed: string, registered: string): ParleyError {
  return new ParleyError(
    "conflict",
    `The token's name claim (${claimed}) is not this user's username (${registered}); a username cannot change, so mint tokens with the registered one.`,
  );
}
