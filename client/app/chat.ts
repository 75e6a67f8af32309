/**
 * The signed-in app's state, as signals the components read: the
 * conversation list (inbox socket, then pages of `GET /v1/conversations`),
 * notifications, presence, people's names, toasts and the tab title. One
 * `Chat` per sign-in; the open conversation is a `Room` (room.ts).
 */
import { batch, computed, effect, signal } from "@preact/signals";
import { ParleyClient, ParleyError, SDK_VERSION, type AccessToken, type ConnectionStatus, type ConversationView, type InboxConversation, type Message } from "../src/index.ts";
import type { MeResponse, Notification as ParleyNotification, UserView } from "../../src/protocol/index.ts";
import { call, setTokenProvider } from "./api/http.ts";
import * as rest from "./api/rest.ts";
import { Room } from "./room.ts";
import { refreshOnce, signOut as endSession, type Session } from "./session.ts";
import { go, notice } from "./ui-state.ts";

/** A conversation of the list: what the inbox says, and its members once fetched. */
export interface Entry {
  id: string;
  summary?: InboxConversation;
  view?: ConversationView;
  /** Local time it was created or opened here, to sort one that has no message yet. */
  touchedAt: number;
}

export interface PresenceInfo {
  status: string;
  last_seen_at?: number;
}

export interface Toast {
  id: number;
  conversationId: string;
  title: string;
  text: string;
}

/** How many conversations' member lists load at once. */
const VIEW_CONCURRENCY = 4;
/** How long a toast stays. */
const TOAST_MS = 6_000;

export class Chat {
  readonly client: ParleyClient;
  session: Session;
  readonly me = signal<MeResponse | undefined>(undefined);
  readonly entries = signal<ReadonlyMap<string, Entry>>(new Map());
  /** The cursor of the next page of the list (from the snapshot or the last page); undefined when all are here. */
  readonly listCursor = signal<string | undefined>(undefined);
  readonly listLoading = signal(false);
  readonly inboxStatus = signal<ConnectionStatus>("disconnected");
  readonly notifications = signal<ParleyNotification[]>([]);
  readonly notificationsUnread = signal(0);
  readonly presence = signal<ReadonlyMap<string, PresenceInfo>>(new Map());
  readonly myStatus = signal<string>("online");
  /** People met in member lists and searches, by user id. */
  readonly people = signal<ReadonlyMap<string, UserView>>(new Map());
  /** Usernames (lower case) this user blocked from this tab; the engine has no list route. */
  readonly blocked = signal<ReadonlySet<string>>(new Set());
  readonly toasts = signal<Toast[]>([]);
  readonly room = signal<Room | undefined>(undefined);
  /** Whether typing indicators are sent: the user's `share_typing` setting (the engine drops them anyway when off). */
  readonly sendTyping = computed(() => this.me.value?.settings.share_typing !== false);
  readonly online = signal(navigator.onLine);

  /** The list, latest activity first. */
  readonly sorted = computed(() => [...this.entries.value.values()].sort((a, b) => activity(b) - activity(a) || (a.id < b.id ? -1 : 1)));
  /** Unread messages in conversations that are not muted: the tab title's count (notifications have their own badge). */
  readonly unreadTotal = computed(() => {
    let n = 0;
    for (const e of this.entries.value.values()) if (!e.summary?.muted) n += this.unreadOf(e);
    return n;
  });

  readonly #viewQueue: string[] = [];
  readonly #viewsLoading = new Set<string>();
  /** Conversations whose members could not be read (left, removed): not asked again. */
  readonly #viewsFailed = new Set<string>();
  readonly #profilesLoading = new Set<string>();
  readonly #cleanup: Array<() => void> = [];
  #toastId = 0;
  #signedOut = false;

  constructor(
    session: Session,
    readonly onSignedOut: (message?: string) => void,
  ) {
    this.session = session;
    setTokenProvider({
      current: () => this.session.accessToken,
      refresh: async () => {
        try {
          await this.#refresh();
          return this.session.accessToken;
        } catch {
          return undefined;
        }
      },
    });
    this.client = new ParleyClient({
      baseUrl: location.origin,
      // With its expiry, so the SDK refreshes it shortly before it runs out
      // (at once after a reload of a tab whose token has expired meanwhile).
      getToken: () => this.#accessToken(),
      refreshToken: () => this.#refresh(),
      clientInfo: { name: "parley-web", version: SDK_VERSION },
    });
    this.client.on("error", (e) => {
      if (e.kind === "stopped" && e.code === 401) void this.signOut("Your session expired; sign in again.");
      // An operator suspended the account (docs/protocol.md §22.18): every socket closes with 4003 "suspended".
      else if (e.kind === "stopped" && e.code === 4003 && /: suspended;/.test(e.message)) void this.signOut("This account is suspended.");
      else if (e.kind !== "send_failed") console.warn(`Parley: ${e.kind}: ${e.message}`);
    });
  }

  get userId(): string {
    return this.session.user.id;
  }

  start(): void {
    const inbox = this.client.inbox();
    inbox.on("snapshot", (s) => {
      batch(() => {
        this.#merge(s.conversations);
        if (s.has_more && s.next_cursor && this.listCursor.value === undefined) this.listCursor.value = s.next_cursor;
        this.notificationsUnread.value = s.notifications_unread;
      });
    });
    inbox.on("updated", (c) => {
      const before = this.entries.value.get(c.id)?.summary;
      this.#merge([c]);
      this.#maybeNotify(before, c);
    });
    inbox.on("removed", ({ conversation_id }) => this.forget(conversation_id));
    inbox.on("notification", (n) => {
      batch(() => {
        if (!this.notifications.value.some((x) => x.id === n.id)) this.notifications.value = [n, ...this.notifications.value];
        if (n.read_at === undefined) this.notificationsUnread.value += 1;
      });
    });
    inbox.on("presence", (p) => {
      if (p.user_id === this.userId) {
        this.myStatus.value = p.status;
        return;
      }
      this.setPresence(p.user_id, { status: p.status, ...(p.last_seen_at !== undefined ? { last_seen_at: p.last_seen_at } : {}) });
    });
    inbox.on("status", (s) => (this.inboxStatus.value = s));
    inbox.connect();

    // The REST list draws the list before the inbox socket is up.
    rest
      .conversationsPage()
      .then((page) => {
        batch(() => {
          this.#merge(page.conversations);
          if (this.listCursor.value === undefined && page.next_cursor) this.listCursor.value = page.next_cursor;
        });
      })
      .catch((err: unknown) => notice(`Could not load conversations: ${errorText(err)}`));
    this.client.api
      .me()
      .then((me) => (this.me.value = me))
      .catch(() => undefined);
    void this.loadNotifications();

    // A browser that knows it is offline: stop trying (messages wait in the
    // outbox) and reconnect at once when it is back, not after the backoff.
    const onOnline = () => {
      this.online.value = navigator.onLine;
      if (navigator.onLine) this.client.connect();
      else this.client.disconnect();
    };
    const onVisible = () => {
      if (document.visibilityState === "visible") this.room.value?.markAllRead();
    };
    window.addEventListener("online", onOnline);
    window.addEventListener("offline", onOnline);
    document.addEventListener("visibilitychange", onVisible);
    const stopTitle = effect(() => {
      const n = this.unreadTotal.value;
      document.title = n > 0 ? `(${n}) Parley` : "Parley";
    });
    this.#cleanup.push(
      () => window.removeEventListener("online", onOnline),
      () => window.removeEventListener("offline", onOnline),
      () => document.removeEventListener("visibilitychange", onVisible),
      stopTitle,
    );
  }

  async signOut(message?: string): Promise<void> {
    if (this.#signedOut) return;
    this.#signedOut = true;
    this.closeRoom();
    this.client.destroy();
    for (const fn of this.#cleanup.splice(0)) fn();
    setTokenProvider(undefined);
    document.title = "Parley";
    await endSession(this.session);
    this.onSignedOut(message);
  }

  // --- the list -------------------------------------------------------------

  unreadOf(e: Entry): number {
    return this.room.value?.id === e.id ? 0 : (e.summary?.unread ?? 0);
  }

  /** The next page of the list beyond the inbox snapshot. */
  async loadMore(): Promise<void> {
    const cursor = this.listCursor.value;
    if (!cursor || this.listLoading.value) return;
    this.listLoading.value = true;
    try {
      const page = await rest.conversationsPage(cursor);
      batch(() => {
        this.#merge(page.conversations);
        this.listCursor.value = page.next_cursor;
      });
    } catch (err) {
      notice(`Could not load more conversations: ${errorText(err)}`);
    } finally {
      this.listLoading.value = false;
    }
  }

  entry(id: string): Entry {
    return this.entries.value.get(id) ?? { id, touchedAt: 0 };
  }

  /** Replaces one entry (copy on write, so the list re-renders). */
  putEntry(entry: Entry): void {
    const next = new Map(this.entries.value);
    next.set(entry.id, entry);
    this.entries.value = next;
  }

  putView(view: ConversationView): void {
    const e = this.entry(view.id);
    this.putEntry({ ...e, view, ...(e.summary && view.title !== undefined ? { summary: { ...e.summary, title: view.title } } : {}) });
    this.#learnMembers(view);
  }

  forget(id: string): void {
    const next = new Map(this.entries.value);
    next.delete(id);
    this.entries.value = next;
    if (this.room.value?.id === id) {
      this.closeRoom();
      go({ name: "home" });
    }
  }

  /** A message seen live in the open room moves its entry up the list. */
  noteActivity(id: string, m: Message): void {
    const e = this.entry(id);
    if (e.summary && e.summary.last_seq > m.seq) return;
    const base: InboxConversation = e.summary ?? { id, kind: e.view?.kind ?? "direct", last_seq: 0, unread: 0 };
    this.putEntry({ ...e, summary: { ...base, last_seq: m.seq, last_message: m, unread: 0 } });
  }

  /** The title people see: a group's title, or the other person's name. */
  title(id: string): string {
    const e = this.entries.value.get(id);
    // Named before its members were read (a notification, a search hit): read them.
    if (!e?.view) this.#queueView(id);
    if (e?.view?.kind === "group" || e?.summary?.kind === "group") return e?.view?.title ?? e?.summary?.title ?? "Group";
    const other = this.otherMember(id);
    return other ? this.displayName(other) : "…";
  }

  /** The other member of a direct conversation. */
  otherMember(id: string): string | undefined {
    const e = this.entries.value.get(id);
    if (e?.view?.kind !== "direct") return undefined;
    return e.view.members.find((m) => m.user_id !== this.userId)?.user_id ?? e.view.members[0]?.user_id;
  }

  displayName(userId: string): string {
    if (userId === this.userId) return this.me.value?.user.display_name ?? this.session.user.username;
    const p = this.people.value.get(userId);
    return p?.display_name ?? p?.username ?? "someone";
  }

  username(userId: string): string | undefined {
    if (userId === this.userId) return this.session.user.username;
    return this.people.value.get(userId)?.username;
  }

  setPresence(userId: string, info: PresenceInfo): void {
    const next = new Map(this.presence.value);
    next.set(userId, info);
    this.presence.value = next;
  }

  /** Loads display names of a few people (GET /v1/users/{username}), once each. */
  loadProfiles(usernames: string[]): void {
    for (const name of usernames) {
      const key = name.toLowerCase();
      if (this.#profilesLoading.has(key)) continue;
      this.#profilesLoading.add(key);
      fetchUser(name)
        .then((user) => this.#learnPeople([user]))
        .catch(() => undefined);
    }
  }

  learnPeople(users: UserView[]): void {
    this.#learnPeople(users);
  }

  // --- the open conversation ------------------------------------------------

  openRoom(id: string): Room {
    const current = this.room.value;
    if (current?.id === id) return current;
    current?.destroy();
    const room = new Room(this, id);
    this.room.value = room;
    const e = this.entry(id);
    this.putEntry({ ...e, touchedAt: Math.max(e.touchedAt, Date.now()), ...(e.summary ? { summary: { ...e.summary, unread: 0 } } : {}) });
    void room.open();
    return room;
  }

  closeRoom(): void {
    this.room.value?.destroy();
    this.room.value = undefined;
  }

  /** Starts (or finds) the direct conversation with a user and opens it. */
  async startDirect(username: string): Promise<string> {
    const view = await this.client.api.createDirect(username);
    const e = this.entry(view.id);
    this.putEntry({ ...e, view, touchedAt: Date.now() });
    this.#learnMembers(view);
    return view.id;
  }

  async createGroup(title: string, usernames: string[]): Promise<string> {
    const view = await this.client.api.createGroup(title, usernames);
    const e = this.entry(view.id);
    this.putEntry({ ...e, view, touchedAt: Date.now(), summary: { id: view.id, kind: "group", title: view.title ?? title, last_seq: 0, unread: 0 } });
    this.#learnMembers(view);
    return view.id;
  }

  async setMuted(id: string, muted: boolean): Promise<void> {
    const answer = await rest.setMuted(id, muted);
    const e = this.entry(id);
    const base: InboxConversation = e.summary ?? { id, kind: e.view?.kind ?? "direct", last_seq: 0, unread: 0 };
    const { muted: _m, muted_until: _u, ...rest_ } = base;
    this.putEntry({ ...e, summary: answer.muted ? { ...rest_, muted: true, ...(answer.muted_until ? { muted_until: answer.muted_until } : {}) } : rest_ });
  }

  async setBlocked(username: string, blocked: boolean): Promise<void> {
    const answer = await rest.setBlocked(username, blocked);
    const next = new Set(this.blocked.value);
    if (answer.blocked) next.add(answer.username.toLowerCase());
    else next.delete(answer.username.toLowerCase());
    this.blocked.value = next;
  }

  setMyStatus(status: "online" | "away" | "busy"): void {
    this.myStatus.value = status;
    this.client.inbox().setPresence(status);
  }

  // --- notifications --------------------------------------------------------

  async loadNotifications(): Promise<void> {
    try {
      const page = await rest.notifications();
      batch(() => {
        this.notifications.value = page.notifications;
        this.notificationsUnread.value = page.notifications_unread;
      });
    } catch {
      // The list stays as it is; the inbox socket still brings new ones.
    }
  }

  async readNotifications(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const answer = await rest.readNotifications(ids.slice(0, 100));
    const read = new Set(answer.ids);
    const now = Date.now();
    batch(() => {
      this.notifications.value = this.notifications.value.map((n) => (read.has(n.id) && n.read_at === undefined ? { ...n, read_at: now } : n));
      this.notificationsUnread.value = answer.notifications_unread;
    });
  }

  dismissToast(id: number): void {
    this.toasts.value = this.toasts.value.filter((t) => t.id !== id);
  }

  // --- private --------------------------------------------------------------

  #merge(list: InboxConversation[]): void {
    if (list.length === 0) return;
    const next = new Map(this.entries.value);
    for (const c of list) {
      const e = next.get(c.id) ?? { id: c.id, touchedAt: 0 };
      // The inbox is max-wins on last_seq: an older copy never replaces a newer one.
      if (e.summary && e.summary.last_seq > c.last_seq) continue;
      // A rename reaches the inbox (no socket frame announces it): the members' copy follows.
      const view = e.view && c.title !== undefined && e.view.title !== c.title ? { ...e.view, title: c.title } : e.view;
      next.set(c.id, { ...e, summary: c, ...(view ? { view } : {}) });
      if (!e.view) this.#queueView(c.id);
    }
    this.entries.value = next;
  }

  /** A toast (and a desktop notification when the tab is hidden) for a new message elsewhere. */
  #maybeNotify(before: InboxConversation | undefined, after: InboxConversation): void {
    const m = after.last_message;
    if (!m || m.sender_id === this.userId || after.muted || m.deleted_at !== undefined) return;
    if (before && before.last_seq >= after.last_seq) return;
    if (after.unread <= (before?.unread ?? 0)) return;
    void this.#notify(after, m);
  }

  async #notify(after: InboxConversation, m: Message): Promise<void> {
    // A conversation new to this tab: its members first, so the toast can name it.
    if (!this.entries.value.get(after.id)?.view) {
      await this.client.api.getConversation(after.id).then((v) => this.putView(v), () => undefined);
    }
    const inRoom = this.room.value?.id === after.id;
    const title = this.title(after.id);
    const who = after.kind === "group" ? `${this.displayName(m.sender_id)}: ` : "";
    const text = `${who}${m.body || (m.attachments?.length ? "Sent a file" : "")}`;
    if (!inRoom) {
      const toast = { id: ++this.#toastId, conversationId: after.id, title, text };
      this.toasts.value = [...this.toasts.value.slice(-2), toast];
      setTimeout(() => this.dismissToast(toast.id), TOAST_MS);
    }
    if (document.visibilityState === "hidden" && "Notification" in window && Notification.permission === "granted") {
      const n = new Notification(title, { body: text, tag: after.id });
      n.onclick = () => {
        window.focus();
        go({ name: "conversation", id: after.id });
      };
    }
  }

  #queueView(id: string): void {
    if (this.#viewsLoading.has(id) || this.#viewQueue.includes(id) || this.#viewsFailed.has(id)) return;
    this.#viewQueue.push(id);
    this.#pumpViews();
  }

  #pumpViews(): void {
    while (this.#viewsLoading.size < VIEW_CONCURRENCY && this.#viewQueue.length > 0) {
      const id = this.#viewQueue.shift()!;
      this.#viewsLoading.add(id);
      this.client.api
        .getConversation(id)
        .then((view) => this.putView(view))
        .catch(() => this.#viewsFailed.add(id))
        .finally(() => {
          this.#viewsLoading.delete(id);
          this.#pumpViews();
        });
    }
  }

  #learnMembers(view: ConversationView): void {
    const fresh = view.members.filter((m) => !this.people.value.has(m.user_id)).map((m) => ({ id: m.user_id, username: m.username }));
    if (fresh.length > 0) this.#learnPeople(fresh, false);
    // Display names come from each person's profile: read them for small rooms (a large room shows usernames).
    if (view.members.length <= 50) this.loadProfiles(view.members.filter((m) => m.user_id !== this.userId).map((m) => m.username));
  }

  #learnPeople(users: UserView[], overwrite = true): void {
    const next = new Map(this.people.value);
    let changed = false;
    for (const u of users) {
      const had = next.get(u.id);
      if (had && !overwrite) continue;
      if (had && had.username === u.username && had.display_name === u.display_name && had.avatar_url === u.avatar_url) continue;
      next.set(u.id, u);
      changed = true;
    }
    if (changed) this.people.value = next;
  }

  #accessToken(): AccessToken {
    return { access_token: this.session.accessToken, expires_at: this.session.expiresAt };
  }

  /**
   * The SDK's refresh hook: a new access token from the session cookie
   * (session.ts; the cookie rotates). A 401 means the session is
   * over (ended, revoked, or its token reused elsewhere): no retry can help,
   * so the user is signed out and told why.
   */
  async #refresh(): Promise<AccessToken> {
    try {
      this.session = await refreshOnce();
    } catch (err) {
      if (err instanceof ParleyError && err.code === "unauthorized") void this.signOut("Your session has ended; sign in again.");
      throw err;
    }
    return this.#accessToken();
  }
}

/** `GET /v1/users/{username}`: a person's display name and avatar. */
async function fetchUser(username: string): Promise<UserView> {
  return (await call<{ user: UserView }>("GET", `/v1/users/${encodeURIComponent(username)}`)).user;
}

function activity(e: Entry): number {
  return Math.max(e.summary?.last_message?.created_at ?? 0, e.touchedAt);
}

export function errorText(err: unknown): string {
  if (err instanceof ParleyError) return err.message;
  if (err instanceof Error) return err.name === "TimeoutError" ? "The server did not answer in time." : err.message;
  return String(err);
}
