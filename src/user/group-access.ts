import { ParleyError, UserId } from "../protocol/index.ts";
import type { Config, Rate } from "../shared/config.ts";
import type { Logger } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { takeToken } from "../shared/rules.ts";
import type { BlockStore } from "./block-store.ts";
import { groupAddAllowed } from "./rules.ts";
import type { UserStore } from "./store.ts";

/**
 * The longest an allowed group add may take to land, whatever the
 * conversation asks for (conversation/membership.ts, admissionWindow asks
 * 5–15 s): the conversation commits it only before the admission expires,
 * and a block of the adder waits until then (decision 0013).
 */
export const MAX_ADMISSION_MS = 30_000;
/** What a block waits beyond an admission's expiry, for clocks of two machines that differ a little. */
const ADMISSION_CLOCK_MARGIN_MS = 1000;

/**
 * Who may add the user to groups, and how fast the user may add others
 * (decision 0013). Blocks are recorded here as the Worker's block route
 * reports them (the pair's direct conversation keeps its own copy, decision
 * 0007); a conversation asks `admit` before it adds the user, and the
 * adder's `spend` before it adds anyone.
 */
export class GroupAccess {
  readonly #blocks: BlockStore;
  readonly #store: UserStore;
  readonly #config: Config;
  readonly #log: Logger;
  /** Called when a block is placed: presence stops passing between the two. */
  readonly #blocked: (otherId: string) => void;

  constructor(blocks: BlockStore, store: UserStore, config: Config, log: Logger, blocked: (otherId: string) => void) {
    this.#blocks = blocks;
    this.#store = store;
    this.#config = config;
    this.#log = log;
    this.#blocked = blocked;
  }

  /**
   * Records a block that concerns the user (`out`: they block `otherId`;
   * `in`: `otherId` blocks them), or lifts it. From the moment it is
   * recorded, `otherId` may not add the user to a group (nor the user add
   * them), neither notifies the other, and no presence passes between them.
   * A block answers only once no group add by `otherId` that this actor
   * admitted before it can still land, so an add in flight either landed
   * before the block's answer or is refused by its conversation.
   */
  async setBlock(otherId: string, direction: "out" | "in", on: boolean): Promise<Result<{ blocked: boolean }>> {
    if (!UserId.safeParse(otherId).success) return err(new ParleyError("bad_request", "otherId: must be a user id."));
    const now = Date.now();
    this.#blocks.setBlock(otherId, direction, on, now);
    this.#log("info", on ? "block.recorded" : "block.lifted", { target_id: otherId, direction });
    if (!on) return ok({ blocked: false });
    this.#blocked(otherId);
    // Adds their conversations have already reported as landed wait on nothing.
    const until = this.#blocks.admissionUntil(otherId, now);
    if (until !== undefined) await new Promise((r) => setTimeout(r, until - now + ADMISSION_CLOCK_MARGIN_MS));
    return ok({ blocked: true });
  }

  isBlockedEitherWay(otherId: string): boolean {
    return this.#blocks.isBlockedEitherWay(otherId);
  }

  /**
   * "May `adderId` add you to group `conversationId`?": never when they are
   * blocked either way; under the `contacts` setting, only when the two share
   * a direct conversation. A yes is an admission the conversation must use
   * before `expires_at`: the `until` it asked for, at most MAX_ADMISSION_MS
   * from now.
   */
  admit(adderId: string, conversationId: string, until: number): Result<{ expires_at: number }> {
    const allowed = groupAddAllowed(
      this.#blocks.isBlockedEitherWay(adderId),
      this.#store.settings().group_adds,
      this.#store.hasDirectConversationWith(adderId),
    );
    if (!allowed) {
      this.#log("info", "group.add_refused", { target_id: adderId, conversation_id: conversationId });
      return err(new ParleyError("forbidden", "This user cannot be added by you."));
    }
    const now = Date.now();
    const expiresAt = Math.min(Number.isFinite(until) ? until : now, now + MAX_ADMISSION_MS);
    this.#blocks.recordAdmission(adderId, conversationId, expiresAt, now);
    return ok({ expires_at: expiresAt });
  }

  /**
   * Spends the user's budget for a group creation (`create`: one group, and
   * the `people` named in it) or an add (`people` added, at least one per
   * request). Both budgets are taken whole or not at all; they are stored,
   * so an actor evicted from memory does not start full again.
   */
  spend(action: "create" | "add", people: number): Result<{ spent: true }> {
    const now = Date.now();
    const { groupCreateRate, groupAddRate } = this.#config;
    const addCost = action === "add" ? Math.max(1, people) : people;
    if (addCost > groupAddRate.messages) {
      return err(new ParleyError("bad_request", `At most ${groupAddRate.messages} people can be added at once; add them in smaller steps.`));
    }
    const create = action === "create" ? takeToken(this.#blocks.bucket("group_create"), now, groupCreateRate) : undefined;
    if (create && !create.ok) return err(rateLimited("groups created", groupCreateRate, create.retryAfterMs));
    const add = addCost > 0 ? takeToken(this.#blocks.bucket("group_add"), now, groupAddRate, addCost) : undefined;
    if (add && !add.ok) return err(rateLimited("people added to groups", groupAddRate, add.retryAfterMs));
    if (create) this.#blocks.saveBucket("group_create", create.bucket);
    if (add) this.#blocks.saveBucket("group_add", add.bucket);
    return ok({ spent: true });
  }
}

/** The refusal of a per-user budget, with when to retry. */
export function rateLimited(what: string, rate: Rate, retryAfterMs: number): ParleyError {
  return new ParleyError("rate_limited", `At most ${rate.messages} ${what} per ${rate.per_ms / 1000} s; retry later.`, { retryAfterMs });
}
