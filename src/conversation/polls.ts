/**
 * The long-polls a conversation holds (`GET …/poll`): each belongs to the
 * user who made it, so that it can be checked again when it is answered and
 * settled when that user loses access, and so that one user cannot take
 * every place. In memory: a poll is a pending RPC, which keeps the actor
 * awake while it waits; an actor that goes away fails its pending RPCs and
 * the clients poll again.
 */
import type { Message, ParleyError } from "../protocol/index.ts";
import { err, ok, type Result } from "../shared/result.ts";

/** Longest hold of a long-poll request. */
export const MAX_POLL_MS = 30_000;
/** Long-polls held at once; past it, a poll is answered at once (the client polls again). */
export const MAX_POLLERS = 1000;
/**
 * Long-polls one user may have held at once on one conversation; past it, the
 * poll is answered at once, so that one user cannot take the places of
 * MAX_POLLERS from everyone else.
 */
export const MAX_POLLERS_PER_USER = 3;

export type PollPage = { messages: Message[]; last_seq: number };

export interface PollDeps {
  /** What follows `afterSeq` now (at most a page) and the last seq. */
  page(afterSeq: number): PollPage;
  /** The last seq now. */
  lastSeq(): number;
  /** Why `userId` may not read the conversation now, if they may not. */
  denied(userId: string): ParleyError | undefined;
}

/** A held long-poll: whose it is, where it reads from, and how it is answered. */
interface Waiter {
  userId: string;
  afterSeq: number;
  timer: ReturnType<typeof setTimeout>;
  resolve: (result: Result<PollPage>) => void;
}

export class HeldPolls {
  readonly #deps: PollDeps;
  readonly #byUser = new Map<string, Set<Waiter>>();
  #count = 0;

  constructor(deps: PollDeps) {
    this.#deps = deps;
  }

  /**
   * A poll from `userId`, who may read the conversation now: answered at once
   * when anything newer than `afterSeq` exists or when no place is left for
   * it (MAX_POLLERS, MAX_POLLERS_PER_USER), otherwise held until `answerAll`,
   * `settle` or `timeoutMs` (at most MAX_POLL_MS).
   */
  poll(userId: string, afterSeq: number, timeoutMs: number): Result<PollPage> | Promise<Result<PollPage>> {
    const mine = this.#byUser.get(userId);
    if (this.#deps.lastSeq() > afterSeq || this.#count >= MAX_POLLERS || (mine?.size ?? 0) >= MAX_POLLERS_PER_USER) {
      return ok(this.#deps.page(afterSeq));
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        userId,
        afterSeq,
        resolve,
        timer: setTimeout(() => this.#answer(waiter, { messages: [], last_seq: this.#deps.lastSeq() }), Math.min(Math.max(0, timeoutMs), MAX_POLL_MS)),
      };
      const set = mine ?? new Set<Waiter>();
      if (!mine) this.#byUser.set(userId, set);
      set.add(waiter);
      this.#count++;
    });
  }

  /** A message was accepted: every held poll is answered (each checked again first). */
  answerAll(): void {
    if (this.#count === 0) return;
    for (const set of [...this.#byUser.values()]) for (const waiter of [...set]) this.#answer(waiter);
  }

  /** `userId` was removed or blocked: their held polls are answered now, with the refusal they would get now. */
  settle(userId: string): void {
    const set = this.#byUser.get(userId);
    if (set) for (const waiter of [...set]) this.#answer(waiter);
  }

  /**
   * Answers a held poll, once: with `page` (by default, what follows its
   * `after_seq` now), or with the refusal its user would get now if they
   * lost access while it was held (removed: 404; blocked: 403).
   */
  #answer(waiter: Waiter, page?: PollPage): void {
    const set = this.#byUser.get(waiter.userId);
    if (!set?.delete(waiter)) return;
    if (set.size === 0) this.#byUser.delete(waiter.userId);
    this.#count--;
    clearTimeout(waiter.timer);
    const denied = this.#deps.denied(waiter.userId);
    waiter.resolve(denied ? err(denied) : ok(page ?? this.#deps.page(waiter.afterSeq)));
  }
}
