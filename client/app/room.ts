/**
 * The open conversation: its history over REST, then everything later live
 * through the SDK's conversation handle (each message once, in `seq` order;
 * edits, deletions and reactions as `updated`), the messages waiting in the
 * handle's outbox, receipts, typing, room presence, uploads, and the reply
 * or edit in progress. Components read its signals.
 */
import { batch, computed, signal } from "@preact/signals";
import { ParleyError, type ConnectionStatus, type ConversationHandle, type ConversationView, type Message } from "../src/index.ts";
import type { Attachment } from "../../src/protocol/index.ts";
import * as rest from "./api/rest.ts";
import { uploadWithProgress } from "./api/upload.ts";
import { errorText, type Chat } from "./chat.ts";
import { notice } from "./ui-state.ts";

/** Messages loaded when a conversation opens, and per step back. */
export const PAGE = 50;
/** Send `typing.start` at most this often while the user types. */
const TYPING_EVERY_MS = 3_000;

/** A message handed to the outbox and not yet back from the server. */
export interface PendingMessage {
  clientMsgId: string;
  body: string;
  replyToSeq?: number;
  attachments: Attachment[];
  failed?: string;
}

/** A file being uploaded (or uploaded) for the next message. */
export interface Upload {
  key: number;
  name: string;
  size: number;
  type: string;
  /** An object URL of the local file, for an image's preview. */
  previewUrl?: string;
  progress: number;
  attachment?: Attachment;
  error?: string;
  abort?: () => void;
}

export interface ReceiptInfo {
  read_seq: number;
  delivered_seq: number;
}

export type Tick = "sending" | "sent" | "delivered" | "read" | "failed";

export class Room {
  readonly id: string;
  readonly view = signal<ConversationView | undefined>(undefined);
  readonly messages = signal<Message[]>([]);
  readonly hasOlder = signal(false);
  readonly loadingOlder = signal(false);
  readonly loading = signal(true);
  readonly error = signal<string | undefined>(undefined);
  readonly status = signal<ConnectionStatus>("connecting");
  readonly pending = signal<PendingMessage[]>([]);
  readonly receipts = signal<ReadonlyMap<string, ReceiptInfo>>(new Map());
  readonly typing = signal<ReadonlyMap<string, number>>(new Map());
  /** Members with a socket on this conversation now (room presence). */
  readonly here = signal<ReadonlySet<string>>(new Set());
  readonly uploads = signal<Upload[]>([]);
  readonly replyTo = signal<Message | undefined>(undefined);
  readonly editing = signal<number | undefined>(undefined);
  /** The message to scroll to and highlight (a jump), and a counter so the same jump can repeat. */
  readonly focusSeq = signal<{ seq: number; n: number } | undefined>(undefined);
  /** Bumps when the view should follow the newest message. */
  readonly stickToEnd = signal(0);

  /** The others' lowest watermarks, for the ticks of this user's messages. */
  readonly othersWatermarks = computed(() => {
    let read = Infinity;
    let delivered = Infinity;
    let any = false;
    for (const [user, r] of this.receipts.value) {
      if (user === this.chat.userId) continue;
      any = true;
      read = Math.min(read, r.read_seq);
      delivered = Math.min(delivered, r.delivered_seq);
    }
    return any ? { read, delivered } : { read: 0, delivered: 0 };
  });

  #handle: ConversationHandle | undefined;
  readonly #off: Array<() => void> = [];
  #lastTypingAt = 0;
  #uploadKey = 0;
  #destroyed = false;
  readonly #typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    readonly chat: Chat,
    id: string,
  ) {
    this.id = id;
    const e = chat.entries.value.get(id);
    if (e?.view) this.view.value = e.view;
    this.opened = new Promise((resolve) => (this.#openedResolve = resolve));
  }

  get handle(): ConversationHandle | undefined {
    return this.#handle;
  }

  get isGroup(): boolean {
    return this.view.value?.kind === "group";
  }

  /** The user's role here. */
  get myRole(): string | undefined {
    return this.view.value?.members.find((m) => m.user_id === this.chat.userId)?.role;
  }

  /** Settles once the first page is loaded (or failed): a jump waits for it. */
  readonly opened: Promise<void>;
  #openedResolve!: () => void;

  /** Loads the members and the newest page, then goes live. */
  async open(): Promise<void> {
    try {
      await this.#open();
    } finally {
      this.#openedResolve();
    }
  }

  async #open(): Promise<void> {
    let lastSeq = 0;
    let lastRev = 0;
    try {
      const [view, page] = await Promise.all([this.chat.client.api.getConversation(this.id), this.chat.client.api.history(this.id, { limit: PAGE })]);
      if (this.#destroyed) return;
      batch(() => {
        this.view.value = view;
        this.chat.putView(view);
        this.messages.value = page.messages;
        this.hasOlder.value = page.has_more;
        this.loading.value = false;
      });
      lastSeq = page.messages.at(-1)?.seq ?? 0;
      lastRev = page.messages.reduce((n, m) => Math.max(n, m.rev ?? m.seq), 0);
      if (view.member_count !== undefined && view.member_count > view.members.length) void this.#loadAllMembers();
    } catch (err) {
      if (this.#destroyed) return;
      batch(() => {
        this.loading.value = false;
        this.error.value =
          err instanceof ParleyError && err.code === "not_found"
            ? "This conversation does not exist, or you are not a member."
            : err instanceof ParleyError && err.code === "forbidden"
              ? "You cannot open this conversation."
              : `Could not open the conversation: ${errorText(err)}`;
      });
      return;
    }
    const handle = this.chat.client.conversation(this.id, { afterSeq: lastSeq, ...(lastRev > 0 ? { afterRev: lastRev } : {}) });
    this.#handle = handle;
    this.#off.push(
      handle.on("message", (m) => this.#onMessage(m)),
      handle.on("updated", (m) => this.#replace(m)),
      handle.on("status", (s) => (this.status.value = s)),
      handle.on("send-failed", ({ clientMsgId, error }) => {
        this.pending.value = this.pending.value.map((p) => (p.clientMsgId === clientMsgId ? { ...p, failed: error.message } : p));
      }),
      handle.on("joined", (j) => {
        batch(() => {
          this.view.value = { ...j.conversation, members: this.#mergeMembers(j.conversation.members) };
          this.receipts.value = new Map(j.receipts.map((r) => [r.user_id, { read_seq: r.read_seq, delivered_seq: r.delivered_seq }]));
          this.here.value = new Set(j.online);
          for (const u of j.online) if (u !== this.chat.userId && !this.chat.presence.value.has(u)) this.chat.setPresence(u, { status: "online" });
        });
      }),
      handle.on("receipt", (r) => this.#setReceipt(r.user_id, r.read_seq, r.delivered_seq)),
      handle.on("presence", (p) => {
        const here = new Set(this.here.value);
        if (p.status === "offline") here.delete(p.user_id);
        else here.add(p.user_id);
        this.here.value = here;
        // The inbox socket's presence is the person's status across the app; the room's fills in until it speaks.
        const known = this.chat.presence.value.get(p.user_id);
        if (!known || (p.status === "offline" && known.status === "online") || (p.status !== "offline" && known.status === "offline")) {
          this.chat.setPresence(p.user_id, { status: p.status, ...(p.last_seen_at !== undefined ? { last_seen_at: p.last_seen_at } : {}) });
        }
      }),
      handle.on("typing", (t) => this.#onTyping(t.user_id, t.state === "start" ? t.expires_in_ms : 0)),
      handle.on("member.joined", () => void this.refreshView()),
      handle.on("member.left", (m) => {
        if (m.user_id === this.chat.userId) return;
        void this.refreshView();
      }),
    );
    handle.connect();
    this.status.value = handle.status;
    this.markAllRead();
    this.stickToEnd.value++;
  }

  destroy(): void {
    this.#destroyed = true;
    for (const off of this.#off.splice(0)) off();
    for (const t of this.#typingTimers.values()) clearTimeout(t);
    for (const u of this.uploads.value) {
      u.abort?.();
      if (u.previewUrl) URL.revokeObjectURL(u.previewUrl);
    }
    this.#handle?.destroy();
  }

  async refreshView(): Promise<void> {
    try {
      const view = await this.chat.client.api.getConversation(this.id);
      this.view.value = view;
      this.chat.putView(view);
    } catch {
      // A removal closes the room through the inbox.
    }
  }

  // --- history ---------------------------------------------------------------

  async loadOlder(): Promise<number> {
    const first = this.messages.value[0];
    if (!first || !this.hasOlder.value || this.loadingOlder.value) return 0;
    this.loadingOlder.value = true;
    try {
      const page = await this.chat.client.api.history(this.id, { beforeSeq: first.seq, limit: PAGE });
      batch(() => {
        this.messages.value = [...page.messages.filter((m) => m.seq < first.seq), ...this.messages.value];
        this.hasOlder.value = page.has_more;
      });
      return page.messages.length;
    } catch (err) {
      notice(`Could not load older messages: ${errorText(err)}`);
      return 0;
    } finally {
      this.loadingOlder.value = false;
    }
  }

  /** Shows a message, loading the history between it and what is loaded when it is older. */
  async jumpTo(seq: number): Promise<void> {
    await this.opened;
    if (this.#destroyed || this.error.value) return;
    let first = this.messages.value[0];
    if (first && seq < first.seq && this.hasOlder.value) {
      this.loadingOlder.value = true;
      try {
        const from = Math.max(0, seq - 11);
        let after = from;
        const got: Message[] = [];
        for (let i = 0; i < 20; i++) {
          const page = await rest.historyWindow(this.id, after, first.seq);
          got.push(...page.messages);
          const last = page.messages.at(-1);
          if (!page.has_more || !last) break;
          after = last.seq;
        }
        batch(() => {
          this.messages.value = [...got.filter((m) => m.seq < first!.seq), ...this.messages.value];
          this.hasOlder.value = from > 0;
        });
      } catch (err) {
        notice(`Could not load that message: ${errorText(err)}`);
      } finally {
        this.loadingOlder.value = false;
      }
    }
    first = this.messages.value[0];
    if (!this.messages.value.some((m) => m.seq === seq)) {
      notice("That message is not available.");
      return;
    }
    this.focusSeq.value = { seq, n: (this.focusSeq.value?.n ?? 0) + 1 };
  }

  // --- sending ----------------------------------------------------------------

  /** Sends the composer's text with the reply and uploaded files; returns false when nothing was sent. */
  send(text: string): boolean {
    const handle = this.#handle;
    if (!handle) return false;
    const files = this.uploads.value.filter((u) => u.attachment).map((u) => u.attachment!);
    if (this.uploads.value.some((u) => !u.attachment && !u.error)) {
      notice("Wait for the files to finish uploading.");
      return false;
    }
    const body = text.trim() === "" && files.length > 0 ? files.map((f) => `📎 ${f.name}`).join("\n") : text;
    if (body.trim() === "") return false;
    const reply = this.replyTo.value;
    try {
      const { clientMsgId, status } = handle.send(body, {
        ...(reply ? { replyToSeq: reply.seq } : {}),
        ...(files.length > 0 ? { attachments: files.map((f) => f.id) } : {}),
      });
      if (status === "dropped") return false;
      batch(() => {
        this.pending.value = [...this.pending.value, { clientMsgId, body, attachments: files, ...(reply ? { replyToSeq: reply.seq } : {}) }];
        for (const u of this.uploads.value) if (u.previewUrl) URL.revokeObjectURL(u.previewUrl);
        this.uploads.value = [];
        this.replyTo.value = undefined;
        this.stickToEnd.value++;
      });
      this.#lastTypingAt = 0;
      if (this.chat.sendTyping.value) handle.typing(false);
      return true;
    } catch (err) {
      notice(errorText(err));
      return false;
    }
  }

  /** Forgets a message the server refused. */
  discard(clientMsgId: string): void {
    this.pending.value = this.pending.value.filter((p) => p.clientMsgId !== clientMsgId);
  }

  onTypingInput(hasText: boolean): void {
    const now = Date.now();
    if (this.#handle && hasText && this.chat.sendTyping.value && now - this.#lastTypingAt > TYPING_EVERY_MS) {
      this.#lastTypingAt = now;
      this.#handle.typing(true);
    }
  }

  /** Starts uploading files picked, dropped or pasted. */
  addFiles(files: File[]): void {
    for (const file of files) {
      const key = ++this.#uploadKey;
      const name = file.name || `pasted-${new Date().toISOString().replace(/[:.]/g, "-")}.${(file.type.split("/")[1] ?? "bin").replace(/[^a-z0-9]/g, "")}`;
      const upload: Upload = {
        key,
        name,
        size: file.size,
        type: file.type,
        progress: 0,
        ...(file.type.startsWith("image/") ? { previewUrl: URL.createObjectURL(file) } : {}),
      };
      const update = (patch: Partial<Upload>) => (this.uploads.value = this.uploads.value.map((u) => (u.key === key ? { ...u, ...patch } : u)));
      const { done, abort } = uploadWithProgress(this.id, file, name, (p) => update({ progress: p }));
      upload.abort = abort;
      this.uploads.value = [...this.uploads.value, upload];
      done.then(
        (attachment) => update({ attachment, progress: 1 }),
        (err: unknown) => update({ error: errorText(err) }),
      );
    }
  }

  removeUpload(key: number): void {
    const u = this.uploads.value.find((x) => x.key === key);
    u?.abort?.();
    if (u?.previewUrl) URL.revokeObjectURL(u.previewUrl);
    this.uploads.value = this.uploads.value.filter((x) => x.key !== key);
  }

  // --- changes ----------------------------------------------------------------

  async edit(seq: number, body: string): Promise<boolean> {
    try {
      await this.#change().edit(seq, body);
      this.editing.value = undefined;
      return true;
    } catch (err) {
      notice(`Could not edit the message: ${errorText(err)}`);
      return false;
    }
  }

  async remove(seq: number): Promise<void> {
    try {
      await this.#change().delete(seq);
    } catch (err) {
      notice(`Could not delete the message: ${errorText(err)}`);
    }
  }

  async toggleReaction(m: Message, reaction: string): Promise<void> {
    const mine = m.reactions?.find((r) => r.reaction === reaction)?.user_ids.includes(this.chat.userId) ?? false;
    try {
      if (mine) await this.#change().unreact(m.seq, reaction);
      else await this.#change().react(m.seq, reaction);
    } catch (err) {
      notice(`Could not react: ${errorText(err)}`);
    }
  }

  /** The tick of one of this user's messages. */
  tick(seq: number): Tick {
    const w = this.othersWatermarks.value;
    if (w.read >= seq) return "read";
    if (w.delivered >= seq) return "delivered";
    return "sent";
  }

  markAllRead(): void {
    const last = this.messages.value.at(-1)?.seq;
    if (last && document.visibilityState === "visible") this.#handle?.markRead(last);
  }

  /** Messages waiting to go out (the banner's count). */
  get queued(): number {
    return this.pending.value.filter((p) => !p.failed).length;
  }

  // --- private ------------------------------------------------------------------

  #change(): ConversationHandle {
    if (!this.#handle) throw new ParleyError("bad_request", "The conversation is not open yet.");
    return this.#handle;
  }

  #onMessage(m: Message): void {
    batch(() => {
      const list = this.messages.value;
      const last = list.at(-1);
      if (!last || m.seq > last.seq) this.messages.value = [...list, m];
      else this.#replace(m);
      if (m.sender_id === this.chat.userId) this.pending.value = this.pending.value.filter((p) => p.clientMsgId !== m.client_msg_id);
      // A sender has read what they send (docs/protocol.md §22.3).
      const r = this.receipts.value.get(m.sender_id);
      this.#setReceipt(m.sender_id, Math.max(r?.read_seq ?? 0, m.seq), Math.max(r?.delivered_seq ?? 0, m.seq));
      this.#onTyping(m.sender_id, 0);
    });
    this.chat.noteActivity(this.id, m);
    this.markAllRead();
  }

  #replace(m: Message): void {
    const list = this.messages.value;
    const i = list.findIndex((x) => x.seq === m.seq);
    if (i < 0) return;
    const next = list.slice();
    next[i] = m;
    this.messages.value = next;
    // Replies quoting it show the change too (their reply_to is as of when they were read).
    if (m.deleted_at !== undefined) {
      this.messages.value = next.map((x) => (x.reply_to?.seq === m.seq ? { ...x, reply_to: { ...x.reply_to, excerpt: "", deleted: true } } : x));
    }
  }

  #setReceipt(user: string, read: number, delivered: number): void {
    const next = new Map(this.receipts.value);
    const had = next.get(user);
    next.set(user, { read_seq: Math.max(read, had?.read_seq ?? 0), delivered_seq: Math.max(delivered, had?.delivered_seq ?? 0, read) });
    this.receipts.value = next;
  }

  #onTyping(user: string, ms: number): void {
    clearTimeout(this.#typingTimers.get(user));
    const next = new Map(this.typing.value);
    if (ms > 0) {
      next.set(user, Date.now() + ms);
      this.#typingTimers.set(user, setTimeout(() => this.#onTyping(user, 0), ms));
    } else {
      if (!next.has(user)) return;
      next.delete(user);
      this.#typingTimers.delete(user);
    }
    this.typing.value = next;
  }

  #mergeMembers(members: ConversationView["members"]): ConversationView["members"] {
    const known = this.view.value?.members ?? [];
    if (known.length <= members.length) return members;
    const ids = new Set(members.map((m) => m.user_id));
    return [...members, ...known.filter((m) => !ids.has(m.user_id))];
  }

  async #loadAllMembers(): Promise<void> {
    let after: string | undefined;
    const all: ConversationView["members"] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const page = await rest.membersPage(this.id, after);
        all.push(...page.members.map((m) => ({ user_id: m.user_id, username: m.username, role: m.role })));
        if (!page.next_after) break;
        after = page.next_after;
      }
      const view = this.view.value;
      if (view) this.view.value = { ...view, members: all };
      this.chat.learnPeople(all.map((m) => ({ id: m.user_id, username: m.username })));
    } catch {
      // The bounded list stays.
    }
  }
}
