/** One message: the quote it answers, its text (as text), files, reactions, ticks and its actions. */
import { BotBadge } from "./BotBadge.tsx";
import { Icon } from "./icons.tsx";
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect } from "preact/hooks";
import type { Message } from "../../src/index.ts";
import type { Attachment } from "../../../src/protocol/index.ts";
import type { Chat } from "../chat.ts";
import { fileSize, longTime, mentionParts, shortTime } from "../format.ts";
import type { PendingMessage, Room, Tick } from "../room.ts";
import { askConfirm } from "../ui-state.ts";
import { Avatar, MenuButton, type MenuItem } from "./common.tsx";
import type { ReportTargetInfo } from "./Report.tsx";

/** The quick reactions of the actions menu; any emoji or :name: the engine takes works in a reaction chip. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🎉"];

const TICK_TEXT: Record<Tick, string> = { sending: "Sending", sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not sent" };
const TICK_MARK: Record<Tick, string> = { sending: "◷", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };

export function TickMark({ tick }: { tick: Tick }) {
  return (
    <span class={`tick tick-${tick}`} data-testid="tick" data-tick={tick} role="img" aria-label={TICK_TEXT[tick]} title={TICK_TEXT[tick]}>
      {TICK_MARK[tick]}
    </span>
  );
}

export function MessageItem({
  chat,
  room,
  message: m,
  continued,
  mentionable,
  onReport,
}: {
  chat: Chat;
  room: Room;
  message: Message;
  continued: boolean;
  mentionable: string[];
  onReport: (t: ReportTargetInfo) => void;
}) {
  const mine = m.sender_id === chat.userId;
  const deleted = m.deleted_at !== undefined;
  const sender = mine ? "You" : chat.displayName(m.sender_id);
  const editing = room.editing.value === m.seq;
  const role = room.myRole;
  const canDelete = !deleted && (mine || (room.isGroup && (role === "owner" || role === "admin")));
  const tick = mine ? room.tick(m.seq) : undefined;
  const mentionsMe = m.mentions?.includes(chat.userId) ?? false;

  const items: MenuItem[] = [];
  if (!deleted) items.push({ label: "Reply", onSelect: () => (room.replyTo.value = m) });
  if (mine && !deleted) items.push({ label: "Edit", onSelect: () => (room.editing.value = m.seq) });
  if (canDelete) {
    items.push({
      label: "Delete",
      danger: true,
      onSelect: () =>
        askConfirm({ title: "Delete this message?", text: "It is deleted for everyone. This cannot be undone.", confirm: "Delete", danger: true, onConfirm: () => room.remove(m.seq) }),
    });
  }
  if (!mine && !deleted) items.push({ label: "Report", danger: true, onSelect: () => onReport({ kind: "message", conversation_id: room.id, seq: m.seq, sender: sender }) });
  const row: MenuItem[] | undefined = deleted ? undefined : QUICK_REACTIONS.map((r) => ({ label: `React with ${r}`, short: r, onSelect: () => void room.toggleReaction(m, r) }));

  const label = `${sender}, ${shortTime(m.created_at)}${deleted ? ": message deleted" : `: ${m.body}`}${m.edited_at && !deleted ? " (edited)" : ""}`;
  return (
    <li
      class={`message${mine ? " mine" : ""}${continued ? " continued" : ""}${mentionsMe ? " mentions-me" : ""}`}
      data-testid="message"
      data-seq={m.seq}
      data-sender={m.sender_id}
      data-client-msg-id={m.client_msg_id}
      data-mine={String(mine)}
      data-deleted={deleted ? "true" : undefined}
      tabIndex={-1}
      aria-label={label}
    >
      {!continued && !mine && <Avatar name={sender} id={m.sender_id} size="sm" />}
      <div class="bubble">
        {!continued && (
          <div class="meta">
            <span class="sender">{sender}</span>
            {!mine && <BotBadge chat={chat} userId={m.sender_id} />}
            <time dateTime={new Date(m.created_at).toISOString()} title={longTime(m.created_at)}>
              {shortTime(m.created_at)}
            </time>
          </div>
        )}
        {m.reply_to && (
          <button type="button" class="quote" data-testid="reply-quote" title="Show the message this replies to" onClick={() => void room.jumpTo(m.reply_to!.seq)}>
            <span class="visually-hidden">Replying to </span>
            <span class="quote-sender">{m.reply_to.sender_id === chat.userId ? "You" : chat.displayName(m.reply_to.sender_id)}</span>
            <span class="quote-text">{m.reply_to.deleted ? "Deleted message" : m.reply_to.excerpt}</span>
          </button>
        )}
        {editing ? (
          <EditForm room={room} message={m} />
        ) : deleted ? (
          <p class="body deleted" data-testid="message-body">
            This message was deleted.
          </p>
        ) : (
          <p class="body" data-testid="message-body">
            {mentionParts(m.body, mentionable).map((p) => (p.mention ? <span class="mention">{p.text}</span> : p.text))}
          </p>
        )}
        {m.attachments && m.attachments.length > 0 && (
          <ul class="attachments" aria-label="Files">
            {m.attachments.map((a) => (
              <li key={a.id}>
                <AttachmentView chat={chat} conversationId={room.id} attachment={a} />
              </li>
            ))}
          </ul>
        )}
        {m.reactions && m.reactions.length > 0 && (
          <ul class="reactions" aria-label="Reactions">
            {m.reactions.map((r) => {
              const reacted = r.user_ids.includes(chat.userId);
              const who = r.user_ids.map((u) => (u === chat.userId ? "you" : chat.displayName(u))).join(", ");
              return (
                <li key={r.reaction}>
                  <button
                    type="button"
                    class="reaction"
                    data-testid="reaction"
                    data-reaction={r.reaction}
                    aria-pressed={reacted}
                    aria-label={`${r.reaction} ${r.count}${reacted ? ", including you" : ""}. ${reacted ? "Remove your reaction" : "React too"}`}
                    title={who}
                    onClick={() => void room.toggleReaction(m, r.reaction)}
                  >
                    <span>{r.reaction}</span> <span class="count">{r.count}</span>
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        <div class="message-foot">
          {m.edited_at && !deleted && (
            <span class="edited" data-testid="edited">
              edited
            </span>
          )}
          {tick && <TickMark tick={tick} />}
        </div>
      </div>
      {(row || items.length > 0) && <MenuButton class="message-actions" label="Message actions" icon={<Icon name="more" />} items={items} row={row} />}
    </li>
  );
}

function EditForm({ room, message }: { room: Room; message: Message }) {
  const text = useSignal(message.body);
  const save = async () => {
    if (text.value.trim() === "" || text.value === message.body) {
      room.editing.value = undefined;
      return;
    }
    await room.edit(message.seq, text.value);
  };
  const onKey = (e: P.TargetedKeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void save();
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      room.editing.value = undefined;
    }
  };
  return (
    <form
      class="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label class="visually-hidden" for={`edit-${message.seq}`}>
        Edit message
      </label>
      <textarea id={`edit-${message.seq}`} data-testid="edit-input" autoFocus rows={2} maxLength={4000} value={text.value} onInput={(e) => (text.value = e.currentTarget.value)} onKeyDown={onKey} />
      <div class="row">
        <button type="submit" class="primary small">
          Save
        </button>
        <button type="button" class="quiet small" onClick={() => (room.editing.value = undefined)}>
          Cancel
        </button>
        <span class="hint">Enter saves, Escape cancels</span>
      </div>
    </form>
  );
}

/** Object URLs of downloaded images, by attachment id: a re-render does not download again. */
const imageUrls = new Map<string, Promise<string>>();

function AttachmentView({ chat, conversationId, attachment: a }: { chat: Chat; conversationId: string; attachment: Attachment }) {
  const url = useSignal<string | undefined>(undefined);
  const failed = useSignal(false);
  const isImage = /^image\/(png|jpeg|gif|webp)$/.test(a.content_type);
  useEffect(() => {
    if (!isImage) return;
    let live = true;
    let p = imageUrls.get(a.id);
    if (!p) {
      p = chat.client.api.download(conversationId, a.id).then((blob) => URL.createObjectURL(blob));
      imageUrls.set(a.id, p);
      p.catch(() => imageUrls.delete(a.id));
    }
    p.then(
      (u) => live && (url.value = u),
      () => live && (failed.value = true),
    );
    return () => {
      live = false;
    };
  }, [a.id]);
  const download = async () => {
    try {
      const blob = await chat.client.api.download(conversationId, a.id);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = a.name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch {
      failed.value = true;
    }
  };
  if (isImage && url.value) {
    return (
      <button type="button" class="image-attachment" onClick={() => void download()} aria-label={`Image ${a.name}, ${fileSize(a.size)}. Download`}>
        <img src={url.value} alt={a.name} data-testid="attachment-image" width={a.width} height={a.height} />
      </button>
    );
  }
  return (
    <button type="button" class="file-attachment" data-testid="attachment-file" onClick={() => void download()}>
      <Icon name="file" /> {a.name} <span class="muted small">{fileSize(a.size)}</span>
      {failed.value && <span class="error small"> (could not load)</span>}
    </button>
  );
}

/** A message handed to the outbox that has not come back yet. */
export function PendingItem({ room, pending: p }: { room: Room; pending: PendingMessage }) {
  const tick: Tick = p.failed ? "failed" : "sending";
  const queued = room.status.value !== "connected";
  return (
    <li class="message mine pending" data-testid="message" data-pending="true" data-client-msg-id={p.clientMsgId} data-failed={p.failed ? "true" : undefined} aria-label={`You${p.failed ? ", not sent" : ", sending"}: ${p.body}`}>
      <div class="bubble">
        <p class="body" data-testid="message-body">
          {p.body}
        </p>
        <div class="message-foot">
          <span class="muted small">{p.failed ? `Not sent: ${p.failed}` : queued ? "Waiting for the connection" : "Sending…"}</span>
          <TickMark tick={tick} />
          {p.failed && (
            <button type="button" class="quiet small" onClick={() => room.discard(p.clientMsgId)}>
              Dismiss
            </button>
          )}
        </div>
      </div>
    </li>
  );
}
