/** The list side: who I am, the actions, and the conversations, latest first, paged. */
import { Icon } from "./icons.tsx";
import { useSignal } from "@preact/signals";
import type { Chat, Entry } from "../chat.ts";
import { listTime } from "../format.ts";
import { go, isDark, route, setTheme } from "../ui-state.ts";
import { Avatar, PresenceDot, statusWord } from "./common.tsx";
import { NewConversationDialog } from "./NewConversation.tsx";
import { BotBadge } from "./BotBadge.tsx";
import { OperatorLink } from "./admin/AdminView.tsx";

export function Sidebar({ chat }: { chat: Chat }) {
  const creating = useSignal(false);
  const me = chat.me.value?.user;
  const name = me?.display_name ?? chat.session.user.username;
  const r = route.value;
  const unreadNotes = chat.notificationsUnread.value;
  return (
    <aside class="sidebar" aria-label="Conversations">
      <header class="sidebar-header">
        <a class="me-link" href="#/settings" title="Settings">
          <span class="visually-hidden">Settings: signed in as </span>
          <Avatar name={name} id={chat.userId} />
          <span class="me-text">
            <strong data-testid="me">{chat.session.user.username}</strong>
            <span class="muted small">{statusWord(chat.myStatus.value)}</span>
          </span>
        </a>
        <span class="spacer" />
        <button type="button" class="icon-button" aria-label="Dark mode" title="Dark mode" aria-pressed={isDark()} data-testid="theme-toggle" onClick={() => setTheme(isDark() ? "light" : "dark")}>
          <Icon name={isDark() ? "sun" : "moon"} />
        </button>
      </header>
      <nav class="sidebar-actions" aria-label="Main">
        <button type="button" class="primary" data-testid="new-conversation" onClick={() => (creating.value = true)}>
          New conversation
        </button>
        <a class={`button${r.name === "search" ? " current" : ""}`} href="#/search" aria-current={r.name === "search" ? "page" : undefined}>
          Search
        </a>
        <a
          class={`button${r.name === "notifications" ? " current" : ""}`}
          href="#/notifications"
          data-testid="notifications-link"
          aria-current={r.name === "notifications" ? "page" : undefined}
        >
          Notifications
          {unreadNotes > 0 && (
            <>
              <span class="badge" data-testid="notifications-badge">
                {unreadNotes}
              </span>
              <span class="visually-hidden"> unread</span>
            </>
          )}
        </a>
        <OperatorLink chat={chat} />
      </nav>
      <h2 class="section-title" id="conversations-title">
        Conversations
      </h2>
      <ConversationList chat={chat} />
      {creating.value && <NewConversationDialog chat={chat} onClose={() => (creating.value = false)} />}
    </aside>
  );
}

function ConversationList({ chat }: { chat: Chat }) {
  const list = chat.sorted.value;
  const current = route.value.name === "conversation" ? (route.value as { id: string }).id : undefined;
  if (list.length === 0) {
    return (
      <p class="muted empty-list" data-testid="no-conversations">
        No conversations yet. Start one with “New conversation”.
      </p>
    );
  }
  return (
    <>
      <ul class="conversations" data-testid="conversation-list" aria-labelledby="conversations-title">
        {list.map((e) => (
          <ConversationItem key={e.id} chat={chat} entry={e} current={e.id === current} />
        ))}
      </ul>
      {chat.listCursor.value && (
        <button type="button" class="quiet wide" data-testid="load-more-conversations" disabled={chat.listLoading.value} onClick={() => void chat.loadMore()}>
          {chat.listLoading.value ? "Loading…" : "Load older conversations"}
        </button>
      )}
    </>
  );
}

function ConversationItem({ chat, entry, current }: { chat: Chat; entry: Entry; current: boolean }) {
  const title = chat.title(entry.id);
  const unread = current ? 0 : chat.unreadOf(entry);
  const muted = entry.summary?.muted === true;
  const last = entry.summary?.last_message;
  const kind = entry.view?.kind ?? entry.summary?.kind;
  const other = kind === "direct" ? chat.otherMember(entry.id) : undefined;
  const preview = last
    ? `${last.sender_id === chat.userId ? "You: " : kind === "group" ? `${chat.displayName(last.sender_id)}: ` : ""}${last.deleted_at !== undefined ? "Message deleted" : last.body}`
    : "No messages yet";
  return (
    <li>
      <button
        type="button"
        class="conversation-item"
        data-testid="conversation-item"
        data-conversation-id={entry.id}
        data-unread={unread}
        data-muted={muted ? "true" : undefined}
        aria-current={current ? "true" : undefined}
        onClick={() => go({ name: "conversation", id: entry.id })}
      >
        <span class="item-avatar">
          <Avatar name={title} id={other ?? entry.id} />
          {other && <PresenceDot presence={chat.presence.value.get(other)} />}
        </span>
        <span class="item-main">
          <span class="item-top">
            <span class="title" data-testid="conversation-item-title">
              {title}
            </span>
            {other && <BotBadge chat={chat} userId={other} />}
            {muted && (
              <span class="muted-icon" data-testid="muted-icon" title="Muted" aria-hidden="true">
                🔕
              </span>
            )}
            {last && <time class="item-time">{listTime(last.created_at, Date.now())}</time>}
          </span>
          <span class="item-bottom">
            <span class="preview">{preview}</span>
            {unread > 0 && (
              <>
                <span class={`badge${muted ? " badge-muted" : ""}`} data-testid="unread-badge">
                  {unread}
                </span>
                <span class="visually-hidden"> unread</span>
              </>
            )}
            {muted && <span class="visually-hidden">, muted</span>}
          </span>
        </span>
      </button>
    </li>
  );
}
