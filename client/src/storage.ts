import type { Message, SendData } from "../../src/protocol/index.ts";

/**
 * What the SDK keeps of one conversation between page loads: the newest
 * messages it delivered, its cursors, and the outbox (messages handed to
 * `send` and not acknowledged yet, with their `client_msg_id`).
 */
export interface StoredConversation {
  /** The user the record belongs to (a record of another user is never used). */
  userId: string;
  conversationId: string;
  /** Every message up to this `seq` was delivered: the `after_seq` of the next join. */
  lastSeq: number;
  /** The highest `rev` seen: the `after_rev` of the next join (0 when unknown). */
  lastRev: number;
  /** The newest messages delivered, ascending `seq` (at most `CACHE_MESSAGES`). */
  messages: Message[];
  /** Unacknowledged sends, oldest first; resent under the same ids after a reload. */
  outbox: SendData[];
  /** When it was written (ms). */
  savedAt: number;
}

/**
 * Where the SDK keeps conversations between page loads. Three methods, each
 * asynchronous; a failing storage never stops the SDK (the error is reported
 * and the handle goes on in memory). Pass your own (`new ParleyClient({
 * storage })`) to keep it elsewhere, or `memoryStorage()` to keep nothing.
 */
export interface ParleyStorage {
  get(key: string): Promise<StoredConversation | undefined>;
  set(key: string, value: StoredConversation): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Keeps records in a Map: for Node and tests; nothing survives the process. */
export function memoryStorage(): ParleyStorage {
  const map = new Map<string, StoredConversation>();
  return {
    get: async (key) => structuredClone(map.get(key)),
    set: async (key, value) => {
      map.set(key, structuredClone(value));
    },
    delete: async (key) => {
      map.delete(key);
    },
  };
}

const STORE = "conversations";

/*
 * The few parts of IndexedDB used here, typed structurally: the SDK is also
 * checked without the DOM's types (under workerd's), and any IndexedDB
 * (a browser's, a shim's in tests) fits.
 */
interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: ((event: unknown) => void) | null;
  onblocked: ((event: unknown) => void) | null;
}
interface IdbDatabase {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: "readonly" | "readwrite"): IdbTransaction;
}
interface IdbTransaction {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStore;
  oncomplete: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onabort: ((event: unknown) => void) | null;
}
interface IdbObjectStore {
  get(key: string): IdbRequest<unknown>;
  put(value: unknown, key: string): IdbRequest<unknown>;
  delete(key: string): IdbRequest<unknown>;
}
/** `window.indexedDB`, or anything with its `open`. */
export interface IdbFactoryLike {
  open(name: string, version: number): IdbOpenRequest;
}

function idbError(error: unknown, fallback: string): Error {
  return error instanceof Error ? error : new Error(fallback);
}

function globalIndexedDb(): IdbFactoryLike | undefined {
  const idb = (globalThis as { indexedDB?: IdbFactoryLike | null }).indexedDB;
  return typeof idb === "object" && idb !== null ? idb : undefined;
}

/**
 * Keeps records in IndexedDB (database `name`, one object store), so they
 * survive a reload or a closed tab. Each `set` is one transaction, resolved
 * when it has committed.
 */
export function indexedDbStorage(name = "parley", factory: IdbFactoryLike | undefined = globalIndexedDb()): ParleyStorage {
  if (!factory) throw new TypeError("Parley: indexedDbStorage() needs IndexedDB; this runtime has none (use memoryStorage()).");
  let opened: Promise<IdbDatabase> | undefined;
  const db = (): Promise<IdbDatabase> =>
    (opened ??= new Promise<IdbDatabase>((resolve, reject) => {
      const request = factory.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(idbError(request.error, `Parley: IndexedDB ${name} could not be opened.`));
      request.onblocked = () => reject(new Error(`Parley: IndexedDB ${name} is blocked by another tab's older version.`));
    }));
  const run = async <T>(mode: "readonly" | "readwrite", act: (store: IdbObjectStore) => IdbRequest<T>): Promise<T> => {
    const tx = (await db()).transaction(STORE, mode);
    const request = act(tx.objectStore(STORE));
    return new Promise<T>((resolve, reject) => {
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(idbError(tx.error, "Parley: an IndexedDB transaction failed."));
      tx.onabort = () => reject(idbError(tx.error, "Parley: an IndexedDB transaction was aborted."));
    });
  };
  return {
    get: async (key) => (await run("readonly", (store) => store.get(key))) as StoredConversation | undefined,
    set: async (key, value) => {
      await run("readwrite", (store) => store.put(value, key));
    },
    delete: async (key) => {
      await run("readwrite", (store) => store.delete(key));
    },
  };
}

/** IndexedDB where the runtime has it (browsers), else memory (Node). */
export function defaultStorage(): ParleyStorage {
  const idb = globalIndexedDb();
  return idb ? indexedDbStorage("parley", idb) : memoryStorage();
}

/**
 * The newest `limit` of `cached` and `fresh` together, ascending, one per
 * `seq` (a fresh copy replaces a cached one: it is newer, an edit perhaps).
 */
export function mergeMessages(cached: readonly Message[], fresh: readonly Message[], limit: number): Message[] {
  const bySeq = new Map<number, Message>();
  for (const m of cached) bySeq.set(m.seq, m);
  for (const m of fresh) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-limit);
}
