/** The in-app list of notifications (mentions, replies, being added), newest first; opening one marks it read. */
import { useEffect } from "preact/hooks";
import type { Notification } from "../../../src/protocol/index.ts";
import type { Chat } from "../chat.ts";
import { longTime } from "../format.ts";
import { go, notice } from "../ui-state.ts";
import { BackLink } from "./common.tsx";

const KIND_TEXT: Record<Notification["kind"], string> = { mention: "mentioned you", reply: "New reply", added: "You were added" };

function describe(chat: Chat, n: Notification): string {
  const where = chat.title(n.conversation_id);
  if (n.kind === "mention") return `You were mentioned in ${where}`;
  if (n.kind === "reply") return `${KIND_TEXT.reply} in ${where}`;
  return `${KIND_TEXT.added} to ${where}`;
}

export function NotificationsView({ chat }: { chat: Chat }) {
  useEffect(() => void chat.loadNotifications(), []);
  const list = chat.notifications.value;
  const unread = list.filter((n) => n.read_at === undefined);
  const open = async (n: Notification) => {
    if (n.read_at === undefined) await chat.readNotifications([n.id]).catch(() => notice("Could not mark it read."));
    go({ name: "conversation", id: n.conversation_id, ...(n.seq > 0 && n.kind !== "added" ? { seq: n.seq } : {}) });
  };
  return (
    <section class="page" aria-labelledby="notifications-title" data-testid="notifications-view">
      <header class="page-header">
        <BackLink />
        <h2 id="notifications-title">Notifications</h2>
        <span class="spacer" />
        <button type="button" data-testid="mark-all-read" disabled={unread.length === 0} onClick={() => void chat.readNotifications(unread.map((n) => n.id))}>
          Mark all read
        </button>
      </header>
      {list.length === 0 ? (
        <p class="placeholder">Nothing yet. Mentions, replies to you and groups you are added to show here.</p>
      ) : (
        <ul class="notifications" data-testid="notification-list">
          {list.map((n) => (
            <li key={n.id}>
              <button type="button" class={`notification${n.read_at === undefined ? " unread" : ""}`} data-testid="notification" data-kind={n.kind} data-unread={n.read_at === undefined ? "true" : undefined} onClick={() => void open(n)}>
                {n.read_at === undefined && <span class="unread-dot" role="img" aria-label="Unread" />}
                <span class="grow">{describe(chat, n)}</span>
                <time class="muted small">{longTime(n.created_at)}</time>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
