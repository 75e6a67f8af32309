/**
 * React bindings of the Parley SDK (`@parley/client/react`): hooks over the
 * SDK's handles, built on `useSyncExternalStore`, so every component reads
 * one consistent snapshot and re-renders only when it changes. `react` (18
 * or later) is an optional peer dependency: only this entry point needs it.
 *
 * ```tsx
 * function Chat({ client, id }: { client: ParleyClient; id: string }) {
 *   const { messages, status, send } = useConversation(client, id);
 *   return <>{status}{messages.map((m) => <p key={m.seq}>{m.body}</p>)}<button onClick={() => send("hi")}>Say hi</button></>;
 * }
 * ```
 */
import { useEffect, useSyncExternalStore } from "react";
import type { ParleyClient } from "./client.ts";
import type { ConversationHandle, ConversationOptions, SendOptions, SendResult } from "./conversation.ts";
import type { InboxHandle } from "./inbox.ts";
import type { ConnectionStatus } from "./machine.ts";
import type { InboxConversation, InboxServerData, Message } from "../../src/protocol/index.ts";
import { cancelTimeout, type Timer } from "./timers.ts";

/** A store in the shape `useSyncExternalStore` takes. */
interface Store<T> {
  subscribe(onChange: () => void): () => void;
  get(): T;
}

/** Holds a snapshot and tells subscribers when it is replaced. */
class Snapshot<T> implements Store<T> {
  readonly #listeners = new Set<() => void>();
  #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  get = (): T => this.#value;

  subscribe = (onChange: () => void): (() => void) => {
    this.#listeners.add(onChange);
    return () => this.#listeners.delete(onChange);
  };

  set(value: T): void {
    if (Object.is(value, this.#value)) return;
    this.#value = value;
    for (const listener of [...this.#listeners]) listener();
  }
}

function useStore<T>(store: Store<T>): T {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

/**
 * Handles are shared (one per conversation per client), so the hooks count
 * who uses each: the first user connects it, the last one to unmount
 * disconnects it (its state and outbox stay, for the next mount).
 */
const users = new WeakMap<object, number>();

function useConnected(handle: { connect(): unknown; disconnect(): unknown }): void {
  useEffect(() => {
    const n = (users.get(handle) ?? 0) + 1;
    users.set(handle, n);
    if (n === 1) handle.connect();
    return () => {
      const left = (users.get(handle) ?? 1) - 1;
      users.set(handle, left);
      // Disconnected a tick later, so a remount (React's strict mode, a route change) does not drop the socket.
      if (left === 0) setTimeout(() => (users.get(handle) ?? 0) === 0 && handle.disconnect(), 0);
    };
  }, [handle]);
}

// --- connection status ---------------------------------------------------------

const statusStores = new WeakMap<object, Store<ConnectionStatus>>();

/** The connection status of a conversation or the inbox: `connecting`, `connected`, `polling`, `reconnecting`, … */
export function useConnectionStatus(handle: ConversationHandle | InboxHandle): ConnectionStatus {
  let store = statusStores.get(handle);
  if (!store) {
    const h = handle as ConversationHandle;
    store = { subscribe: (onChange) => h.on("status", () => onChange()), get: () => h.status };
    statusStores.set(handle, store);
  }
  return useStore(store);
}

// --- a conversation --------------------------------------------------------------

/** What `useConversation` gives a component. */
export interface ConversationView {
  /** The newest messages (up to the SDK's `CACHE_MESSAGES`, 500), ascending `seq`, each once; edits applied. */
  messages: readonly Message[];
  /** Messages handed to `send` and not acked yet, oldest first (show them as pending). */
  pending: readonly { clientMsgId: string; body: string; replyToSeq?: number }[];
  status: ConnectionStatus;
  /** Every message up to this `seq` has been delivered. */
  lastSeq: number;
  /** Who is typing now (user ids), from `typing` events, each until its `expires_in_ms`. */
  typing: readonly string[];
  send(body: string, options?: SendOptions): SendResult;
  markRead(seq: number): void;
  handle: ConversationHandle;
}

type ConversationData = Omit<ConversationView, "send" | "markRead" | "handle">;

const conversationStores = new WeakMap<ConversationHandle, Snapshot<ConversationData>>();

function conversationStore(handle: ConversationHandle): Snapshot<ConversationData> {
  let store = conversationStores.get(handle);
  if (store) return store;
  const read = (typing: readonly string[]): ConversationData => ({
    messages: handle.messages,
    pending: handle.pending,
    status: handle.status,
    lastSeq: handle.lastSeq,
    typing,
  });
  const created = new Snapshot<ConversationData>(read([]));
  const refresh = () => created.set(read(created.get().typing));
  for (const event of ["message", "updated", "restored", "ack", "send-failed", "status"] as const) handle.on(event, refresh);
  const expiries = new Map<string, Timer>();
  handle.on("typing", ({ user_id, state, expires_in_ms }) => {
    cancelTimeout(expiries.get(user_id));
    expiries.delete(user_id);
    const others = created.get().typing.filter((u) => u !== user_id);
    if (state === "start") {
      expiries.set(user_id, setTimeout(() => {
        expiries.delete(user_id);
        created.set({ ...created.get(), typing: created.get().typing.filter((u) => u !== user_id) });
      }, expires_in_ms));
      created.set({ ...created.get(), typing: [...others, user_id] });
    } else {
      created.set({ ...created.get(), typing: others });
    }
  });
  conversationStores.set(handle, created);
  return created;
}

/**
 * One conversation, live: connects its handle while a component uses it,
 * and gives the messages (restored from storage at once in browsers, then
 * the replay and live ones), the outbox, the status and who is typing.
 */
export function useConversation(client: ParleyClient, conversationId: string, options?: ConversationOptions): ConversationView {
  const handle = client.conversation(conversationId, options);
  const store = conversationStore(handle);
  useConnected(handle);
  const data = useStore(store);
  return {
    ...data,
    handle,
    send: (body, sendOptions) => {
      const result = handle.send(body, sendOptions);
      store.set({ ...store.get(), pending: handle.pending });
      return result;
    },
    markRead: (seq) => handle.markRead(seq),
  };
}

// --- the inbox ---------------------------------------------------------------------

/** What `useInbox` gives a component. */
export interface InboxView {
  /** The user's conversations, latest activity first, with unread counts and last messages. */
  conversations: readonly InboxConversation[];
  /** Unread notifications, as the server last said. */
  notificationsUnread: number;
  status: ConnectionStatus;
  handle: InboxHandle;
}

type InboxData = Omit<InboxView, "handle">;

/** Contacts' presence as the inbox reports it: user id → the last `presence` event. */
export type PresenceMap = ReadonlyMap<string, InboxServerData<"presence">>;

interface InboxStores {
  inbox: Snapshot<InboxData>;
  presence: Snapshot<PresenceMap>;
}

const inboxStores = new WeakMap<InboxHandle, InboxStores>();

function byActivity(list: InboxConversation[]): InboxConversation[] {
  return list.sort((a, b) => (b.last_message?.created_at ?? 0) - (a.last_message?.created_at ?? 0));
}

function inboxStoresOf(handle: InboxHandle): InboxStores {
  let stores = inboxStores.get(handle);
  if (stores) return stores;
  const inbox = new Snapshot<InboxData>({ conversations: [], notificationsUnread: 0, status: handle.status });
  const presence = new Snapshot<PresenceMap>(new Map());
  handle.on("status", (status) => inbox.set({ ...inbox.get(), status }));
  handle.on("snapshot", (snapshot) => {
    inbox.set({ ...inbox.get(), conversations: snapshot.conversations, notificationsUnread: snapshot.notifications_unread });
  });
  handle.on("updated", (conversation) => {
    const rest = inbox.get().conversations.filter((c) => c.id !== conversation.id);
    inbox.set({ ...inbox.get(), conversations: byActivity([conversation, ...rest]) });
  });
  handle.on("removed", ({ conversation_id }) => {
    inbox.set({ ...inbox.get(), conversations: inbox.get().conversations.filter((c) => c.id !== conversation_id) });
  });
  handle.on("notification", () => inbox.set({ ...inbox.get(), notificationsUnread: inbox.get().notificationsUnread + 1 }));
  handle.on("presence", (update) => {
    const next = new Map(presence.get());
    next.set(update.user_id, update);
    presence.set(next);
  });
  stores = { inbox, presence };
  inboxStores.set(handle, stores);
  return stores;
}

/** The inbox socket, live while a component uses it: the conversation list, unread counts, notifications. */
export function useInbox(client: ParleyClient): InboxView {
  const handle = client.inbox();
  const { inbox } = inboxStoresOf(handle);
  useConnected(handle);
  return { ...useStore(inbox), handle };
}

/**
 * Contacts' presence from the inbox socket (`online`, `away`, `busy`,
 * `offline`, with `last_seen_at` when the server gives it): the whole map,
 * or one user's last report (undefined until one came). Connects the inbox
 * while used.
 */
export function usePresence(client: ParleyClient): PresenceMap;
export function usePresence(client: ParleyClient, userId: string): InboxServerData<"presence"> | undefined;
export function usePresence(client: ParleyClient, userId?: string): PresenceMap | InboxServerData<"presence"> | undefined {
  const handle = client.inbox();
  const { presence } = inboxStoresOf(handle);
  useConnected(handle);
  const map = useStore(presence);
  return userId === undefined ? map : map.get(userId);
}
