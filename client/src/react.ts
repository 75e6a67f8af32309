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
import type { TopicHandle, TopicOptions } from "./topic.ts";
import type { ContactPresence, InboxConversation, Message, TopicEvent } from "../../src/protocol/index.ts";
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

/**
 * Contacts' presence as the inbox reports it, by user id: `status`
 * (`online`, `away`, `busy`, `offline`) and, when offline, `last_seen_at`
 * (ms) — from the snapshot after every (re)connect, then each `presence`
 * frame.
 */
export type PresenceMap = ReadonlyMap<string, ContactPresence>;

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
  // The handle keeps contacts' presence (the snapshot's list, then frames): the store shows its map as it is now.
  const presence = new Snapshot<PresenceMap>(handle.contacts);
  handle.on("status", (status) => inbox.set({ ...inbox.get(), status }));
  handle.on("snapshot", (snapshot) => {
    inbox.set({ ...inbox.get(), conversations: snapshot.conversations, notificationsUnread: snapshot.notifications_unread });
    presence.set(handle.contacts);
  });
  handle.on("updated", (conversation) => {
    const rest = inbox.get().conversations.filter((c) => c.id !== conversation.id);
    inbox.set({ ...inbox.get(), conversations: byActivity([conversation, ...rest]) });
  });
  handle.on("removed", ({ conversation_id }) => {
    inbox.set({ ...inbox.get(), conversations: inbox.get().conversations.filter((c) => c.id !== conversation_id) });
  });
  handle.on("notification", () => inbox.set({ ...inbox.get(), notificationsUnread: inbox.get().notificationsUnread + 1 }));
  handle.on("presence", () => presence.set(handle.contacts));
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
 * Contacts' presence from the inbox socket, live: the whole map, or one
 * contact's `{status, last_seen_at?}` — undefined for someone who is not a
 * contact (no conversation of at most 50 members shared), is blocked either
 * way, or before the inbox's first snapshot. A contact who does not share
 * presence shows `offline` without `last_seen_at`. Connects the inbox while
 * used. The user's own status is `client.inbox().presence` (set it with
 * `client.inbox().setPresence`).
 */
export function usePresence(client: ParleyClient): PresenceMap;
export function usePresence(client: ParleyClient, userId: string): ContactPresence | undefined;
export function usePresence(client: ParleyClient, userId?: string): PresenceMap | ContactPresence | undefined {
  const handle = client.inbox();
  const { presence } = inboxStoresOf(handle);
  useConnected(handle);
  const map = useStore(presence);
  return userId === undefined ? map : map.get(userId);
}

// --- a live topic --------------------------------------------------------------------

/** How many of a topic's newest events `useTopic` keeps. */
export const TOPIC_EVENTS_KEPT = 100;

/** What `useTopic` gives a component. */
export interface TopicView {
  /** The newest events received since the handle was made (at most `TOPIC_EVENTS_KEPT`), ascending `seq`, each once. */
  events: readonly TopicEvent[];
  /** The last `seq` delivered (or reset to); undefined until the first subscription answers. */
  lastSeq: number | undefined;
  /**
   * Set when the topic said `reset` (the handle was away longer than the
   * topic keeps events): the `lastSeq` it reset to. Refetch the state from
   * the app's backend; `events` starts again after it.
   */
  resetAt: number | undefined;
  status: ConnectionStatus;
  handle: TopicHandle;
}

type TopicData = Omit<TopicView, "handle">;

const topicStores = new WeakMap<TopicHandle, Snapshot<TopicData>>();

function topicStore(handle: TopicHandle): Snapshot<TopicData> {
  let store = topicStores.get(handle);
  if (store) return store;
  const created = new Snapshot<TopicData>({ events: [], lastSeq: handle.lastSeq, resetAt: undefined, status: handle.status });
  handle.on("status", (status) => created.set({ ...created.get(), status }));
  handle.on("subscribed", ({ lastSeq }) => created.set({ ...created.get(), lastSeq: handle.lastSeq ?? lastSeq }));
  handle.on("events", ({ events, lastSeq }) => {
    const kept = [...created.get().events, ...events].slice(-TOPIC_EVENTS_KEPT);
    created.set({ ...created.get(), events: kept, lastSeq });
  });
  handle.on("reset", ({ lastSeq }) => created.set({ ...created.get(), events: [], lastSeq, resetAt: lastSeq }));
  topicStores.set(handle, created);
  return created;
}

/**
 * A live topic (a feed, a counter): connects its handle while a component
 * uses it, and gives the newest events, the last `seq` and the status.
 * `options.afterSeq` (read once, when the handle is made) resumes after a
 * `seq` the application kept.
 */
export function useTopic(client: ParleyClient, name: string, options?: TopicOptions): TopicView {
  const handle = client.topic(name, options);
  const store = topicStore(handle);
  useConnected(handle);
  return { ...useStore(store), handle };
}
