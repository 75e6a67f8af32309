import type { Env } from "../env.ts";
import type { InboxUpdate, Settings } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import { describeError, type LogFields } from "../shared/log.ts";
import { privacyMask } from "../shared/privacy.ts";
import type { Result } from "../shared/result.ts";
import type { UserStore } from "./store.ts";

/** Pushes to conversations in flight at once, and how long one may take. */
const PUSH_CONCURRENCY = 10;
const PUSH_TIMEOUT_MS = 3000;
/** Wait before a failed push is tried again (by the actor's alarm). */
export const PRIVACY_RETRY_MS = 30_000;

/**
 * The user's privacy settings as their conversations must know them
 * (decision 0028). The conversation decides what to relay — typing,
 * receipts, room presence — so it keeps each member's mask; this actor owns
 * the settings and tells the conversations:
 *
 * - on a change, every conversation of the inbox index, before `PATCH
 *   /v1/me` answers, stamped with a version that grows with every change
 *   (a conversation keeps the newest: late or repeated pushes are harmless);
 *   a push that fails is tried again from the alarm;
 * - on request (`Conversation` asks when it holds nothing yet for a member,
 *   at their first socket or read), the current mask and version;
 * - when an inbox update shows a conversation holding an older version (a
 *   push lost, or a conversation the index did not list yet), once more.
 */
export class PrivacySync {
  readonly #store: UserStore;
  readonly #env: Env;
  readonly #log: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void;
  readonly #retryAt: (at: number) => void;

  constructor(
    store: UserStore,
    env: Env,
    logger: (level: "info" | "warn" | "error", event: string, fields: LogFields) => void,
    retryAt: (at: number) => void,
  ) {
    this.#store = store;
    this.#env = env;
    this.#log = logger;
    this.#retryAt = retryAt;
  }

  /** The mask and its version, as a conversation asks for them. */
  current(): { mask: number; version: number } {
    const { mask, version } = this.#store.privacy();
    return { mask, version };
  }

  /** The settings were written: when the mask changed, a new version goes to every conversation. Returns whether it changed. */
  async settingsChanged(selfId: string, settings: Settings): Promise<boolean> {
    const mask = privacyMask(settings);
    const stored = this.#store.privacy();
    if (mask === stored.mask) return false;
    this.#store.setPrivacy(mask, stored.version + 1, true);
    await this.push(selfId);
    return true;
  }

  /** Tells every conversation of the inbox the current mask; on any failure, the alarm tries again later. */
  async push(selfId: string): Promise<void> {
    const { mask, version } = this.#store.privacy();
    const ids = this.#store.memberConversations();
    let next = 0;
    let failed = 0;
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        try {
          await this.#send(id, selfId, mask, version);
        } catch (e) {
          failed++;
          if (failed === 1) this.#log("warn", "privacy.push_failed", { conversation_id: id, version, error: describeError(e) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUSH_CONCURRENCY, ids.length) }, worker));
    // Only the version pushed is settled: a newer one written meanwhile stays pending.
    const now = this.#store.privacy();
    if (now.version === version) this.#store.setPrivacy(now.mask, now.version, failed > 0);
    if (failed > 0) this.#retryAt(Date.now() + PRIVACY_RETRY_MS);
    else this.#log("info", "privacy.pushed", { version, conversations: ids.length });
  }

  /** From the alarm: a push that failed is tried again. */
  async retry(selfId: string | undefined): Promise<void> {
    if (selfId !== undefined && this.#store.privacy().pending) await this.push(selfId);
  }

  /** An inbox update shows what the conversation holds; an older version is corrected (fire and forget). */
  updateSeen(update: InboxUpdate): void {
    if (update.role === undefined) return;
    const { mask, version } = this.#store.privacy();
    if (version <= (update.privacy_version ?? 0)) return;
    const selfId = this.#store.profile()?.user_id;
    if (selfId === undefined) return;
    void this.#send(update.conversation.id, selfId, mask, version).catch((e: unknown) => {
      this.#log("warn", "privacy.push_failed", { conversation_id: update.conversation.id, version, error: describeError(e) });
    });
  }

  async #send(conversationId: string, selfId: string, mask: number, version: number): Promise<void> {
    const stub = this.#env.CONVERSATION.get(this.#env.CONVERSATION.idFromName(conversationId));
    const result: Result<{ applied: boolean }> = await withTimeout(Promise.resolve(stub.setMemberPrivacy(selfId, mask, version)), PUSH_TIMEOUT_MS);
    if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  }
}
