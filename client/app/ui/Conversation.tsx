/** The open conversation: its header, the messages (older on scroll-up, jumps, date separators), typing, the composer. */
import { BotBadge } from "./BotBadge.tsx";
import { Icon } from "./icons.tsx";
import { useSignal, useSignalEffect } from "@preact/signals";
import type * as P from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import type { Message } from "../../src/index.ts";
import type { Chat } from "../chat.ts";
import { dayLabel, dayStarts } from "../format.ts";
import type { Room } from "../room.ts";
import { go, route } from "../ui-state.ts";
import { Avatar, BackLink, MenuButton, presenceText, type MenuItem } from "./common.tsx";
import { Composer } from "./Composer.tsx";
import { ConversationInfo } from "./ConversationInfo.tsx";
import { MessageItem, PendingItem } from "./MessageItem.tsx";
import { ReportDialog, type ReportTargetInfo } from "./Report.tsx";
import { ConversationSearch } from "./Search.tsx";

const STATUS_TEXT: Record<string, string> = {
  disconnected: "Offline",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  failed: "Disconnected",
  closed: "Offline",
  polling: "Connected (polling)",
};

/** Messages of one sender this close together show the sender's name once. */
const GROUP_WITHIN_MS = 5 * 60_000;
/** Closer than this to the bottom counts as "at the latest". */
const NEAR_END_PX = 120;

export function ConversationView({ chat, room, info, jumpSeq }: { chat: Chat; room: Room; info: boolean; jumpSeq?: number }) {
  const searching = useSignal(false);
  const reporting = useSignal<ReportTargetInfo | undefined>(undefined);
  const dragging = useSignal(false);
  const view = room.view.value;
  const title = chat.title(room.id);
  const other = view?.kind === "direct" ? chat.otherMember(room.id) : undefined;
  const otherName = other ? chat.username(other) : undefined;
  const entry = chat.entries.value.get(room.id);
  const muted = entry?.summary?.muted === true;
  const status = room.status.value;

  useEffect(() => {
    if (jumpSeq) void room.jumpTo(jumpSeq);
  }, [room, jumpSeq]);

  const onDrop = (e: P.TargetedDragEvent<HTMLElement>) => {
    e.preventDefault();
    dragging.value = false;
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length > 0) room.addFiles(files);
  };

  const headerItems: MenuItem[] = [
    { label: muted ? "Unmute" : "Mute", onSelect: () => void chat.setMuted(room.id, !muted) },
    { label: "Search in conversation", onSelect: () => (searching.value = true) },
    { label: view?.kind === "group" ? "Group settings" : "Details", onSelect: () => go({ name: "conversation", id: room.id, info: true }) },
  ];
  if (otherName) {
    const blocked = chat.blocked.value.has(otherName.toLowerCase());
    headerItems.push(
      { label: blocked ? `Unblock ${otherName}` : `Block ${otherName}`, danger: !blocked, onSelect: () => void chat.setBlocked(otherName, !blocked) },
      { label: `Report ${otherName}`, danger: true, onSelect: () => (reporting.value = { kind: "user", username: otherName }) },
    );
  }

  return (
    <section
      class={`conversation${dragging.value ? " dragging" : ""}`}
      data-testid="conversation"
      data-conversation-id={room.id}
      aria-labelledby="conversation-title"
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes("Files")) {
          e.preventDefault();
          dragging.value = true;
        }
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) dragging.value = false;
      }}
      onDrop={onDrop}
    >
      <header class="conversation-header">
        <BackLink />
        <Avatar name={title} id={other ?? room.id} />
        <div class="header-text">
          <h2 id="conversation-title" data-testid="conversation-title">
            {title}
            {other && <BotBadge chat={chat} userId={other} />}
          </h2>
          <p class="muted small" data-testid="conversation-presence" data-status={other ? (chat.presence.value.get(other)?.status ?? "offline") : undefined}>
            {other ? presenceText(chat.presence.value.get(other)) : view ? `${view.member_count ?? view.members.length} members` : ""}
            {muted ? " · muted" : ""}
          </p>
        </div>
        <span class="spacer" />
        <span class="status" data-testid="connection-status" data-status={status} role="status" title={`Connection: ${STATUS_TEXT[status]}`}>
          <span class="dot" aria-hidden="true" />
          <span class="label">{STATUS_TEXT[status]}</span>
        </span>
        <button type="button" class="icon-button" aria-label="Search in conversation" title="Search in conversation" aria-pressed={searching.value} onClick={() => (searching.value = !searching.value)}>
          <Icon name="search" />
        </button>
        <a class="icon-button" href={`#/c/${encodeURIComponent(room.id)}/info`} aria-label={view?.kind === "group" ? "Group settings" : "Details"} title={view?.kind === "group" ? "Group settings" : "Details"}>
          <Icon name="info" />
        </a>
        <MenuButton label="Conversation actions" icon={<Icon name="more" />} items={headerItems} />
      </header>
      <div class="conversation-body">
        <div class="conversation-main">
          {room.error.value ? (
            <p class="placeholder error" role="alert" data-testid="conversation-error">
              {room.error.value}
            </p>
          ) : (
            <MessageList chat={chat} room={room} onReport={(t) => (reporting.value = t)} />
          )}
          <TypingLine chat={chat} room={room} />
          {!room.error.value && <Composer chat={chat} room={room} />}
        </div>
        {searching.value && <ConversationSearch chat={chat} room={room} onClose={() => (searching.value = false)} />}
      </div>
      {dragging.value && (
        <div class="drop-hint" aria-hidden="true">
          Drop files to attach them
        </div>
      )}
      {info && <ConversationInfo chat={chat} room={room} onClose={() => closeInfo(room.id)} />}
      {reporting.value && <ReportDialog target={reporting.value} onClose={() => (reporting.value = undefined)} />}
    </section>
  );
}

function TypingLine({ chat, room }: { chat: Chat; room: Room }) {
  const names = [...room.typing.value.keys()].filter((u) => u !== chat.userId).map((u) => chat.displayName(u));
  const text = names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : names.length === 2 ? `${names[0]} and ${names[1]} are typing…` : "Several people are typing…";
  return (
    <p class="typing" data-testid="typing" aria-live="polite">
      {text}
    </p>
  );
}

function MessageList({ chat, room, onReport }: { chat: Chat; room: Room; onReport: (t: ReportTargetInfo) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const anchor = useRef<{ height: number; top: number } | undefined>(undefined);
  const atEnd = useRef(true);
  const showJump = useSignal(false);
  const messages = room.messages.value;
  const pending = room.pending.value;
  const first = messages[0]?.seq;
  const last = messages.at(-1)?.seq;

  // After older messages were put on top, the view stays where it was.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && anchor.current) {
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = undefined;
    }
  }, [first]);
  // New messages at the end: follow them when the view was at the end.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (atEnd.current) el.scrollTop = el.scrollHeight;
    else showJump.value = true;
  }, [last, pending.length]);
  useSignalEffect(() => {
    room.stickToEnd.value;
    requestAnimationFrame(() => {
      const el = scroller.current;
      if (!el) return;
      el.scrollTop = el.scrollHeight;
      atEnd.current = true;
      showJump.value = false;
    });
  });
  useSignalEffect(() => {
    const f = room.focusSeq.value;
    if (!f) return;
    requestAnimationFrame(() => {
      const item = scroller.current?.querySelector<HTMLElement>(`[data-testid=message][data-seq="${f.seq}"]`);
      if (!item) return;
      item.scrollIntoView({ block: "center" });
      item.classList.remove("highlight");
      void item.offsetWidth;
      item.classList.add("highlight");
      item.focus({ preventScroll: true });
    });
  });

  const loadOlder = async () => {
    const el = scroller.current;
    if (!el || room.loadingOlder.value || !room.hasOlder.value) return;
    anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    const n = await room.loadOlder();
    if (n === 0) anchor.current = undefined;
  };
  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_END_PX;
    if (atEnd.current && showJump.value) showJump.value = false;
    if (el.scrollTop < 200) void loadOlder();
  };

  const starts = dayStarts(messages.map((m) => m.created_at));
  const now = Date.now();
  const mentionable = room.view.value?.members.map((m) => m.username) ?? [];
  return (
    <div class="messages-wrap">
      <div class="messages-scroll" ref={scroller} onScroll={onScroll} data-testid="message-scroller">
        {room.loading.value && (
          <p class="placeholder" aria-busy="true">
            Loading messages…
          </p>
        )}
        {room.hasOlder.value && (
          <button type="button" class="quiet load-older" data-testid="load-older" disabled={room.loadingOlder.value} onClick={() => void loadOlder()}>
            {room.loadingOlder.value ? "Loading…" : "Load older messages"}
          </button>
        )}
        {!room.loading.value && messages.length === 0 && pending.length === 0 && <p class="placeholder">No messages yet. Say hello!</p>}
        <ol class="messages" data-testid="message-list" aria-label="Messages" aria-busy={room.loading.value}>
          {messages.map((m, i) => {
            const prev: Message | undefined = messages[i - 1];
            const continued = !starts.has(i) && prev !== undefined && prev.sender_id === m.sender_id && m.created_at - prev.created_at < GROUP_WITHIN_MS && m.reply_to_seq === undefined;
            return [
              starts.has(i) ? (
                <li key={`d${m.seq}`} class="date-separator" data-testid="date-separator">
                  <span>{dayLabel(m.created_at, now)}</span>
                </li>
              ) : null,
              <MessageItem key={m.seq} chat={chat} room={room} message={m} continued={continued} mentionable={mentionable} onReport={onReport} />,
            ];
          })}
          {pending.map((p) => (
            <PendingItem key={p.clientMsgId} room={room} pending={p} />
          ))}
        </ol>
      </div>
      {showJump.value && (
        <button
          type="button"
          class="jump-latest"
          data-testid="jump-latest"
          onClick={() => {
            room.stickToEnd.value++;
          }}
        >
          <Icon name="down" /> Jump to latest
        </button>
      )}
    </div>
  );
}

/** Back from the settings dialog to the conversation, unless the app has already gone elsewhere (left the group). */
function closeInfo(id: string): void {
  const r = route.value;
  if (r.name === "conversation" && r.id === id) go({ name: "conversation", id }, true);
}
