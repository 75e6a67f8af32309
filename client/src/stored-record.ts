/**
 * The stored record of one conversation handle (storage.ts): found by the
 * user the token speaks for and the conversation, read once when the handle
 * is made, and written again after each change — at once for the outbox,
 * within `CACHE_WRITE_MS` for messages seen — one write after another, each
 * of the handle's state as it is when the write runs. A storage that fails
 * is reported and the handle goes on in memory.
 */
import type { Message, SendData } from "../../src/protocol/index.ts";
import type { ParleyStorage, StoredConversation } from "./storage.ts";
import { cancelTimeout, type Timer } from "./timers.ts";
import { jwtSubject } from "./token-expiry.ts";

/** What of the handle a write keeps. */
export interface RecordState {
  lastSeq: number;
  lastRev: number;
  messages: Message[];
  outbox: SendData[];
}

export interface StoredRecordOptions {
  storage: ParleyStorage | undefined;
  conversationId: string;
  writeMs: number;
  /** The handle's state to write. */
  state(): RecordState;
  /** Settles once the handle applied what `read` found: no write goes before it. */
  restored(): Promise<void>;
  failed(message: string): void;
}

export class StoredRecord {
  readonly #o: StoredRecordOptions;
  #key: string | undefined;
  #timer: Timer | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(options: StoredRecordOptions) {
    this.#o = options;
  }

  /** The record of this conversation for the token's user (the JWT's `sub`), if storage has one. */
  async read(token: () => Promise<string>): Promise<StoredConversation | undefined> {
    const storage = this.#o.storage;
    if (!storage) return undefined;
    try {
      const user = jwtSubject(await token()) ?? "_";
      this.#key = `${user}/${this.#o.conversationId}`;
      const record = await storage.get(this.#key);
      return record && record.userId === user && record.conversationId === this.#o.conversationId ? record : undefined;
    } catch (err) {
      this.#o.failed(`Parley: storage could not be read (${err instanceof Error ? err.message : String(err)}); going on without it.`);
      return undefined;
    }
  }

  /** Writes soon: at once when `urgent` (the outbox), else within `writeMs`. */
  persist(urgent: boolean): void {
    if (!this.#o.storage) return;
    if (urgent) {
      void this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.#save();
    }, this.#o.writeMs);
  }

  /** Writes what storage does not have yet; resolves when it is stored. */
  flush(): Promise<void> {
    cancelTimeout(this.#timer);
    this.#timer = undefined;
    return this.#save();
  }

  #save(): Promise<void> {
    const storage = this.#o.storage;
    if (!storage) return Promise.resolve();
    this.#saving = this.#saving.then(async () => {
      await this.#o.restored();
      const key = this.#key;
      if (key === undefined) return;
      const record: StoredConversation = {
        userId: key.slice(0, key.length - this.#o.conversationId.length - 1),
        conversationId: this.#o.conversationId,
        ...this.#o.state(),
        savedAt: Date.now(),
      };
      try {
        await storage.set(key, record);
      } catch (err) {
        this.#o.failed(`Parley: storage could not be written (${err instanceof Error ? err.message : String(err)}).`);
      }
    });
    return this.#saving;
  }
}
