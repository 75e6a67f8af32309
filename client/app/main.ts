/**
 * The Parley web app: sign in, the conversation list with unread counts (the
 * inbox socket), one open conversation (history over REST, then live over
 * the SDK), a composer. Plain TypeScript and the DOM; every piece of user
 * text goes into the page as text, never as markup.
 */
import {
  ParleyClient,
  ParleyError,
  SDK_VERSION,
  type AccessToken,
  type ConnectionStatus,
  type ConversationHandle,
  type ConversationView,
  type InboxConversation,
  type Message,
} from "../src/index.ts";
import { byId, h, longTime, shortTime } from "./dom.ts";
import { loadSession, refresh, signIn, signOut, type Session } from "./session.ts";

const BASE_URL = location.origin;
/** Messages loaded when a conversation opens. */
const HISTORY_PAGE = 50;
/** Messages of one sender this close together show the sender's name and time once. */
const GROUP_WITHIN_MS = 5 * 60_000;
/** Send `typing.start` at most this often while the user types. */
const TYPING_EVERY_MS = 3_000;

const STATUS_TEXT: Record<ConnectionStatus, string> = {
  disconnected: "Offline",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  failed: "Disconnected",
  closed: "Offline",
  polling: "Polling…",
};

const USERNAME = /^[A-Za-z0-9_]{3,32}$/;

const ui = {
  loginView: byId("login-view"),
  loginForm: byId<HTMLFormElement>("login-form"),
  loginUsername: byId<HTMLInputElement>("login-username"),
  loginError: byId("login-error"),
  chatView: byId("chat-view"),
  status: byId("connection-status"),
  me: byId("me"),
  logout: byId<HTMLButtonElement>("logout"),
  newDirectForm: byId<HTMLFormElement>("new-direct-form"),
  newDirectUsername: byId<HTMLInputElement>("new-direct-username"),
  sidebarError: byId("sidebar-error"),
  conversationList: byId<HTMLUListElement>("conversation-list"),
  noConversations: byId("no-conversations"),
  noConversation: byId("no-conversation"),
  conversation: byId("conversation"),
  conversationTitle: byId("conversation-title"),
  presence: byId("conversation-presence"),
  messageList: byId<HTMLOListElement>("message-list"),
  typing: byId("typing"),
  composer: byId<HTMLFormElement>("composer"),
  composerInput: byId<HTMLTextAreaElement>("composer-input"),
};

function errorText(err: unknown): string {
  if (err instanceof ParleyError) return err.message;
  if (err instanceof Error) return err.name === "TimeoutError" ? "The server did not answer in time." : err.message;
  return String(err);
}

/** A conversation of the list: what the inbox says, and its members once fetched. */
interface Entry {
  summary?: InboxConversation;
  view?: ConversationView;
  /** Local time it was created or opened here, to sort one that has no message yet. */
  touchedAt: number;
}

/** The conversation on screen. */
interface Open {
  id: string;
  handle: ConversationHandle;
  off: Array<() => void>;
  typingTimer?: ReturnType<typeof setTimeout>;
}

class ChatApp {
  #session: Session;
  readonly #client: ParleyClient;
  readonly #entries = new Map<string, Entry>();
  readonly #viewsLoading = new Set<string>();
  #open: Open | undefined;
  /** Grows with every open(); a slower, older open() gives up when it sees a newer one. */
  #openGen = 0;
  #lastTypingAt = 0;
  #signedOut = false;
  readonly #cleanup: Array<() => void> = [];

  constructor(session: Session, readonly onSignedOut: (message?: string) => void) {
    this.#session = session;
    this.#client = new ParleyClient({
      baseUrl: BASE_URL,
      // With its expiry, so the SDK refreshes it shortly before it runs out
      // (at once after a reload of a tab whose token has expired meanwhile).
      getToken: () => this.#accessToken(),
      refreshToken: () => this.#refresh(),
      clientInfo: { name: "parley-web", version: SDK_VERSION },
    });
    this.#client.on("error", (e) => {
      if (e.kind === "stopped" && e.code === 401) void this.signOut("Your session expired; sign in again.");
      else if (e.kind !== "send_failed") console.warn(`Parley: ${e.kind}: ${e.message}`);
    });
  }

  start(): void {
    ui.loginView.hidden = true;
    ui.chatView.hidden = false;
    ui.me.textContent = this.#session.user.username;
    const inbox = this.#client.inbox();
    inbox.on("snapshot", (s) => {
      for (const c of s.conversations) this.#upsert(c);
      this.#renderList();
    });
    inbox.on("updated", (c) => {
      this.#upsert(c);
      this.#renderList();
    });
    inbox.on("removed", ({ conversation_id }) => {
      this.#entries.delete(conversation_id);
      if (this.#open?.id === conversation_id) this.#close();
      this.#renderList();
    });
    inbox.on("status", () => this.#renderStatus());
    inbox.connect();
    // The REST list draws the sidebar before the inbox socket is up. Both
    // give the newest conversations only (the first page, and the snapshot's
    // cap): older ones appear when they next change.
    this.#client.api
      .listConversations()
      .then((list) => {
        for (const c of list) this.#upsert(c);
        this.#renderList();
      })
      .catch((err: unknown) => this.#sidebarError(`Could not load conversations: ${errorText(err)}`));
    this.#renderList();
    this.#renderStatus();

    const onHash = () => {
      const id = location.hash.slice(1);
      if (id) void this.open(id);
    };
    const onVisible = () => {
      if (document.visibilityState === "visible" && this.#open) this.#open.handle.markRead(this.#open.handle.lastSeq);
    };
    window.addEventListener("hashchange", onHash);
    document.addEventListener("visibilitychange", onVisible);
    this.#cleanup.push(
      () => window.removeEventListener("hashchange", onHash),
      () => document.removeEventListener("visibilitychange", onVisible),
    );
    onHash();
  }

  async signOut(message?: string): Promise<void> {
    if (this.#signedOut) return;
    this.#signedOut = true;
    this.#close();
    this.#client.destroy();
    for (const fn of this.#cleanup.splice(0)) fn();
    history.replaceState(null, "", location.pathname);
    await signOut(BASE_URL, this.#session);
    this.onSignedOut(message);
  }

  /** Starts (or finds) the direct conversation with a user, and opens it. */
  async startDirect(username: string): Promise<void> {
    this.#sidebarError("");
    if (!USERNAME.test(username)) return this.#sidebarError("A username is 3–32 letters, digits or _.");
    if (username.toLowerCase() === this.#session.user.username.toLowerCase()) return this.#sidebarError("Pick someone other than yourself.");
    try {
      const view = await this.#client.api.createDirect(username);
      const entry = this.#entry(view.id);
      entry.view = view;
      entry.touchedAt = Date.now();
      this.#renderList();
      ui.newDirectUsername.value = "";
      await this.open(view.id);
    } catch (err) {
      this.#sidebarError(err instanceof ParleyError && err.code === "not_found" ? `No user named ${username}.` : errorText(err));
    }
  }

  /** Shows a conversation: its history over REST, then everything later, live, through the SDK. */
  async open(id: string): Promise<void> {
    if (this.#open?.id === id) return;
    const gen = ++this.#openGen;
    this.#close();
    if (location.hash.slice(1) !== id) history.replaceState(null, "", `#${id}`);
    ui.noConversation.hidden = true;
    ui.conversation.hidden = false;
    ui.conversation.setAttribute("data-conversation-id", id);
    ui.conversationTitle.textContent = "…";
    ui.presence.textContent = "";
    ui.messageList.replaceChildren();
    ui.messageList.setAttribute("aria-busy", "true");
    this.#sidebarError("");
    const entry = this.#entry(id);
    entry.touchedAt = Math.max(entry.touchedAt, Date.now());
    let lastSeq = 0;
    try {
      const [view, page] = await Promise.all([this.#client.api.getConversation(id), this.#client.api.history(id, { limit: HISTORY_PAGE })]);
      if (gen !== this.#openGen) return;
      entry.view = view;
      ui.conversationTitle.textContent = this.#title(id);
      for (const m of page.messages) this.#renderMessage(m);
      lastSeq = page.messages.at(-1)?.seq ?? 0;
    } catch (err) {
      if (gen !== this.#openGen) return;
      this.#sidebarError(`Could not open the conversation: ${errorText(err)}`);
      ui.conversation.hidden = true;
      ui.noConversation.hidden = false;
      history.replaceState(null, "", location.pathname);
      return;
    } finally {
      ui.messageList.removeAttribute("aria-busy");
    }

    const handle = this.#client.conversation(id, { afterSeq: lastSeq });
    const open: Open = { id, handle, off: [] };
    this.#open = open;
    open.off.push(
      handle.on("message", (m) => {
        this.#renderMessage(m);
        this.#noteActivity(id, m);
        if (document.visibilityState === "visible") handle.markRead(m.seq);
      }),
      handle.on("status", () => this.#renderStatus()),
      handle.on("send-failed", ({ clientMsgId, error }) => {
        const li = ui.messageList.querySelector<HTMLElement>(`[data-client-msg-id="${CSS.escape(clientMsgId)}"][data-pending]`);
        li?.setAttribute("data-failed", "true");
        li?.setAttribute("title", `Not sent: ${error.message}`);
      }),
      handle.on("joined", ({ online }) => this.#renderPresence(online.includes(this.#otherMember(id) ?? ""))),
      handle.on("presence", (p) => {
        if (p.user_id === this.#otherMember(id)) this.#renderPresence(p.status !== "offline");
      }),
      handle.on("typing", (t) => {
        clearTimeout(open.typingTimer);
        ui.typing.textContent = t.state === "start" ? `${this.#username(id, t.user_id)} is typing…` : "";
        if (t.state === "start") open.typingTimer = setTimeout(() => (ui.typing.textContent = ""), t.expires_in_ms);
      }),
    );
    handle.connect();
    if (lastSeq > 0) handle.markRead(lastSeq);
    if (entry.summary) entry.summary = { ...entry.summary, unread: 0 };
    this.#renderList();
    this.#renderStatus();
    this.#scrollToEnd(true);
    ui.composerInput.focus();
  }

  /** Sends what the composer holds; it shows at once as pending, then in its place once the server has it. */
  send(): void {
    const open = this.#open;
    const text = ui.composerInput.value;
    if (!open || text.trim() === "") return;
    try {
      const { clientMsgId } = open.handle.send(text);
      ui.messageList.append(this.#messageItem({ clientMsgId, body: text, mine: true, pending: true }));
      ui.composerInput.value = "";
      this.#autosize();
      this.#scrollToEnd(true);
      this.#lastTypingAt = 0;
      open.handle.typing(false);
    } catch (err) {
      this.#sidebarError(errorText(err));
    }
  }

  onComposerInput(): void {
    this.#autosize();
    const now = Date.now();
    if (this.#open && ui.composerInput.value !== "" && now - this.#lastTypingAt > TYPING_EVERY_MS) {
      this.#lastTypingAt = now;
      this.#open.handle.typing(true);
    }
  }

  // --- rendering ------------------------------------------------------------

  #close(): void {
    const open = this.#open;
    if (!open) return;
    this.#open = undefined;
    clearTimeout(open.typingTimer);
    for (const off of open.off) off();
    open.handle.destroy();
    ui.typing.textContent = "";
    ui.conversation.hidden = true;
    ui.noConversation.hidden = false;
    this.#renderList();
    this.#renderStatus();
  }

  #renderStatus(): void {
    // The open conversation's socket is what the user is waiting on; without one, the inbox's.
    const status = this.#open?.handle.status ?? this.#client.inbox().status;
    ui.status.setAttribute("data-status", status);
    ui.status.querySelector(".label")!.textContent = STATUS_TEXT[status];
    ui.status.title = `Connection: ${STATUS_TEXT[status]}`;
  }

  #renderPresence(online: boolean): void {
    const entry = this.#entries.get(this.#open?.id ?? "");
    if (entry?.view?.kind !== "direct") return;
    ui.presence.textContent = online ? "online" : "offline";
    ui.presence.setAttribute("data-online", String(online));
  }

  #renderMessage(m: Message): void {
    if (ui.messageList.querySelector(`[data-seq="${m.seq}"]`)) return;
    const mine = m.sender_id === this.#session.user.id;
    ui.messageList.querySelector(`[data-client-msg-id="${CSS.escape(m.client_msg_id)}"][data-pending]`)?.remove();
    const nearEnd = ui.messageList.scrollHeight - ui.messageList.scrollTop - ui.messageList.clientHeight < 80;
    const item = this.#messageItem({
      seq: m.seq,
      senderId: m.sender_id,
      clientMsgId: m.client_msg_id,
      body: m.body,
      mine,
      sender: this.#username(m.conversation_id, m.sender_id),
      createdAt: m.created_at,
    });
    // Confirmed messages stay above any still pending, in seq order.
    const firstPending = ui.messageList.querySelector("[data-pending]");
    const previous = (firstPending ? firstPending.previousElementSibling : ui.messageList.lastElementChild) as HTMLElement | null;
    // A run of messages from one sender within a few minutes shows its name and time once.
    if (previous?.dataset.sender === m.sender_id && m.created_at - Number(previous.dataset.createdAt) < GROUP_WITHIN_MS) {
      item.setAttribute("data-continued", "true");
    }
    ui.messageList.insertBefore(item, firstPending);
    this.#scrollToEnd(mine || nearEnd);
  }

  #messageItem(m: {
    seq?: number;
    senderId?: string;
    clientMsgId: string;
    body: string;
    mine: boolean;
    pending?: boolean;
    sender?: string;
    createdAt?: number;
  }): HTMLLIElement {
    const sender = m.sender ?? this.#session.user.username;
    return h(
      "li",
      {
        class: "message",
        "data-testid": "message",
        "data-seq": m.seq,
        "data-sender": m.senderId,
        "data-created-at": m.createdAt,
        title: m.createdAt !== undefined ? longTime(m.createdAt) : undefined,
        "data-client-msg-id": m.clientMsgId,
        "data-mine": String(m.mine),
        "data-pending": m.pending,
        "aria-label": `${m.mine ? "You" : sender}${m.pending ? ", sending" : ""}: ${m.body}`,
      },
      [
        h("div", { class: "meta", "aria-hidden": "true" }, [
          h("span", { class: "sender" }, [m.mine ? "You" : sender]),
          m.createdAt !== undefined
            ? h("time", { datetime: new Date(m.createdAt).toISOString(), title: longTime(m.createdAt) }, [shortTime(m.createdAt)])
            : h("span", {}, ["sending…"]),
        ]),
        h("p", { class: "body", "data-testid": "message-body" }, [m.body]),
      ],
    );
  }

  #renderList(): void {
    const entries = [...this.#entries.entries()].sort(([, a], [, b]) => this.#activity(b) - this.#activity(a));
    ui.noConversations.hidden = entries.length > 0;
    ui.conversationList.replaceChildren(
      ...entries.map(([id, entry]) => {
        const current = this.#open?.id === id || (this.#open === undefined && location.hash.slice(1) === id);
        const unread = current ? 0 : (entry.summary?.unread ?? 0);
        const last = entry.summary?.last_message;
        const title = this.#title(id);
        const preview = last ? `${last.sender_id === this.#session.user.id ? "You: " : ""}${last.body}` : "No messages yet";
        return h("li", {}, [
          h(
            "button",
            {
              type: "button",
              "data-testid": "conversation-item",
              "data-conversation-id": id,
              "data-unread": unread,
              "aria-current": current ? "true" : undefined,
              "aria-label": `${title}${unread > 0 ? `, ${unread} unread` : ""}`,
            },
            [
              h("span", { class: "title", "data-testid": "conversation-item-title" }, [title]),
              unread > 0 ? h("span", { class: "badge", "data-testid": "unread-badge", "aria-hidden": "true" }, [String(unread)]) : null,
              h("span", { class: "preview" }, [preview]),
            ],
          ),
        ], {});
      }),
    );
  }

  // --- state ----------------------------------------------------------------

  #accessToken(): AccessToken {
    return { access_token: this.#session.accessToken, expires_at: this.#session.expiresAt };
  }

  /**
   * The SDK's refresh hook, which it calls one at a time: trades the refresh
   * token for a new pair, stored at once (the old refresh token is spent).
   * A 401 means the session is over (ended, revoked, or its token reused
   * elsewhere): no retry can help, so the user is signed out and told why.
   */
  async #refresh(): Promise<AccessToken> {
    try {
      this.#session = await refresh(BASE_URL, this.#session);
    } catch (err) {
      if (err instanceof ParleyError && err.code === "unauthorized") void this.signOut("Your session has ended; sign in again.");
      throw err;
    }
    return this.#accessToken();
  }

  #entry(id: string): Entry {
    let entry = this.#entries.get(id);
    if (!entry) this.#entries.set(id, (entry = { touchedAt: 0 }));
    return entry;
  }

  #upsert(summary: InboxConversation): void {
    const entry = this.#entry(summary.id);
    // The inbox is max-wins on last_seq: an older copy never replaces a newer one.
    if (entry.summary && entry.summary.last_seq > summary.last_seq) return;
    entry.summary = this.#open?.id === summary.id ? { ...summary, unread: 0 } : summary;
    if (!entry.view) this.#loadView(summary.id);
  }

  /** Members of a conversation, for its title and senders' names. */
  #loadView(id: string): void {
    if (this.#viewsLoading.has(id)) return;
    this.#viewsLoading.add(id);
    this.#client.api
      .getConversation(id)
      .then((view) => {
        this.#entry(id).view = view;
        this.#renderList();
      })
      .catch(() => undefined)
      .finally(() => this.#viewsLoading.delete(id));
  }

  #noteActivity(id: string, m: Message): void {
    const entry = this.#entry(id);
    if (entry.summary && entry.summary.last_seq >= m.seq) return;
    entry.summary = { ...(entry.summary ?? { id, kind: entry.view?.kind ?? "direct", unread: 0 }), last_seq: m.seq, last_message: m, unread: 0 };
    this.#renderList();
  }

  #activity(entry: Entry): number {
    return Math.max(entry.summary?.last_message?.created_at ?? 0, entry.touchedAt);
  }

  #title(id: string): string {
    const entry = this.#entries.get(id);
    const view = entry?.view;
    if (view?.kind === "group" || entry?.summary?.kind === "group") return view?.title ?? entry?.summary?.title ?? "Group";
    const other = view?.members.find((m) => m.user_id !== this.#session.user.id);
    return other?.username ?? "…";
  }

  #otherMember(id: string): string | undefined {
    return this.#entries.get(id)?.view?.members.find((m) => m.user_id !== this.#session.user.id)?.user_id;
  }

  #username(conversationId: string, userId: string): string {
    if (userId === this.#session.user.id) return this.#session.user.username;
    return this.#entries.get(conversationId)?.view?.members.find((m) => m.user_id === userId)?.username ?? "someone";
  }

  #sidebarError(text: string): void {
    ui.sidebarError.textContent = text;
  }

  #scrollToEnd(force: boolean): void {
    if (force) ui.messageList.scrollTop = ui.messageList.scrollHeight;
  }

  #autosize(): void {
    ui.composerInput.style.height = "auto";
    ui.composerInput.style.height = `${ui.composerInput.scrollHeight}px`;
  }
}

// --- wiring -----------------------------------------------------------------

let app: ChatApp | undefined;

function showLogin(message = ""): void {
  app = undefined;
  ui.chatView.hidden = true;
  ui.loginView.hidden = false;
  ui.loginError.textContent = message;
  ui.loginUsername.focus();
}

function startApp(session: Session): void {
  app = new ChatApp(session, showLogin);
  app.start();
}

ui.loginForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const username = ui.loginUsername.value.trim();
  if (!USERNAME.test(username)) {
    ui.loginError.textContent = "A username is 3–32 letters, digits or _.";
    return;
  }
  ui.loginError.textContent = "";
  const button = ui.loginForm.querySelector("button")!;
  button.disabled = true;
  try {
    startApp(await signIn(BASE_URL, username));
  } catch (err) {
    ui.loginError.textContent = `Could not sign in: ${errorText(err)}`;
  } finally {
    button.disabled = false;
  }
});

ui.logout.addEventListener("click", () => void app?.signOut());

ui.newDirectForm.addEventListener("submit", (e) => {
  e.preventDefault();
  void app?.startDirect(ui.newDirectUsername.value.trim());
});

ui.conversationList.addEventListener("click", (e) => {
  const button = (e.target as Element).closest<HTMLElement>("[data-conversation-id]");
  const id = button?.getAttribute("data-conversation-id");
  if (id) void app?.open(id);
});

ui.composer.addEventListener("submit", (e) => {
  e.preventDefault();
  app?.send();
});

ui.composerInput.addEventListener("keydown", (e) => {
  // Enter sends; Shift+Enter adds a line; Enter while composing (IME) is the IME's.
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    app?.send();
  }
});

ui.composerInput.addEventListener("input", () => app?.onComposerInput());

const saved = loadSession();
if (saved) startApp(saved);
else showLogin();
