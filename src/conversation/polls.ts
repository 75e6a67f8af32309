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

export type PollPage = { messages: Message[]; last_seq: number; last_rev?: number };

/**
 * Where a poll reads from: after a `seq` (new messages, v1), or after a
 * `rev` (every change: new messages and edits, deletions, reactions; since v1.2).
 */
export type PollCursor = { after_seq: number } | { after_rev: number };

export interface PollDeps {
  /** What follows the cursor now (at most a page), the last seq and the last rev. */
  page(cursor: PollCursor): PollPage;
  /** The last seq now. */
  lastSeq(): number;
  /** The last rev now. */
  lastRev(): number;
  /** Why `userId` may not read the conversation now, if they may not. */
  denied(userId: string): ParleyError | undefined;
}

/** A held long-poll: whose it is, where it reads from, and how it is answered. */
interface Waiter {
  userId: string;
  cursor: PollCursor;
  timer: ReturnType<typeof setTimeout>;
  resolve: (result: Result<PollPage>) => void;
}

/** Which held polls a new message answers, and which a change answers (no allocation on the send path). */
const EVERY = (): boolean => true;
const BY_REV = (waiter: Waiter): boolean => "after_rev" in waiter.cursor;

export class HeldPolls {
  readonly #deps: PollDeps;
  readonly #byUser = new Map<string, Set<Waiter>>();
  #count = 0;

  constructor(deps: PollDeps) {
    this.#deps = deps;
  }

  /**
   * A poll from `userId`, who may read the conversation now: answered at once
   * when anything newer than its cursor exists or when no place is left for
   * it (MAX_POLLERS, MAX_POLLERS_PER_USER), otherwise held until `answerAll`
   * (or `answerChanges` for a poll by rev), `settle` or `timeoutMs` (at most MAX_POLL_MS).
   */
  poll(userId: string, cursor: PollCursor, timeoutMs: number): Result<PollPage> | Promise<Result<PollPage>> {
    const mine = this.#byUser.get(userId);
    if (this.#newer(cursor) || this.#count >= MAX_POLLERS || (mine?.size ?? 0) >= MAX_POLLERS_PER_USER) {
      return ok(this.#deps.page(cursor));
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        userId,
        cursor,
        resolve,
        timer: setTimeout(() => this.#answer(waiter, { messages: [], last_seq: this.#deps.lastSeq(), last_rev: this.#deps.lastRev() }), Math.min(Math.max(0, timeoutMs), MAX_POLL_MS)),
      };
      const set = mine ?? new Set<Waiter>();
      if (!mine) this.#byUser.set(userId, set);
      set.add(waiter);
      this.#count++;
    });
  }

  /** A message was accepted: every held poll is answered (each checked again first). */
  answerAll(): void {
    this.#answerWhere(EVERY);
  }

  /** A message changed (edited, deleted, reacted to): the polls by rev are answered; the polls by seq wait on (nothing new for them). */
  answerChanges(): void {
    this.#answerWhere(BY_REV);
  }

  #answerWhere(which: (waiter: Waiter) => boolean): void {
    if (this.#count === 0) return;
    for (const set of [...this.#byUser.values()]) for (const waiter of [...set]) if (which(waiter)) this.#answer(waiter);
  }

  #newer(cursor: PollCursor): boolean {
    return "after_rev" in cursor ? this.#deps.lastRev() > cursor.after_rev : this.#deps.lastSeq() > cursor.after_seq;
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
    waiter.resolve(denied ? err(denied) : ok(page ?? this.#deps.page(waiter.cursor)));
  }
}
