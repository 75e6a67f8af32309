/**
 * The composer: Enter sends, Shift+Enter adds a line, `@` suggests members
 * (arrows choose, Enter or Tab takes, Escape closes), files by the button,
 * by drag and drop on the conversation, or pasted; ArrowUp in an empty
 * composer edits the last own message; Escape drops the reply.
 */
import { Icon } from "./icons.tsx";
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Chat } from "../chat.ts";
import { fileSize, insertMention, mentionAt } from "../format.ts";
import type { Room } from "../room.ts";

interface Suggestion {
  username: string;
  name: string;
  userId: string;
}

export function Composer({ chat, room }: { chat: Chat; room: Room }) {
  const text = useSignal("");
  const suggestions = useSignal<Suggestion[]>([]);
  const active = useSignal(0);
  const mention = useRef<{ start: number; caret: number } | undefined>(undefined);
  const input = useRef<HTMLTextAreaElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const reply = room.replyTo.value;
  const uploads = room.uploads.value;

  useEffect(() => {
    input.current?.focus();
  }, [room.id]);
  useEffect(() => {
    if (reply) input.current?.focus();
  }, [reply?.seq]);

  const autosize = () => {
    const el = input.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, 200)}px`;
  };

  const updateSuggestions = () => {
    const el = input.current;
    if (!el) return;
    const at = mentionAt(el.value, el.selectionStart ?? el.value.length);
    if (!at) {
      suggestions.value = [];
      mention.current = undefined;
      return;
    }
    mention.current = { start: at.start, caret: el.selectionStart ?? el.value.length };
    const q = at.query.toLowerCase();
    const members = room.view.value?.members ?? [];
    suggestions.value = members
      .filter((m) => m.user_id !== chat.userId)
      .map((m) => ({ username: m.username, userId: m.user_id, name: chat.displayName(m.user_id) }))
      .filter((s) => s.username.toLowerCase().startsWith(q) || s.name.toLowerCase().split(/\s+/).some((w) => w.startsWith(q)))
      .slice(0, 8);
    active.value = 0;
  };

  const take = (s: Suggestion) => {
    const el = input.current;
    const at = mention.current;
    if (!el || !at) return;
    const next = insertMention(el.value, at.start, at.caret, s.username);
    text.value = next.text;
    el.value = next.text;
    el.setSelectionRange(next.caret, next.caret);
    suggestions.value = [];
    mention.current = undefined;
    el.focus();
  };

  const send = () => {
    if (room.send(text.value)) {
      text.value = "";
      if (input.current) input.current.value = "";
      suggestions.value = [];
      autosize();
    }
  };

  const onKeyDown = (e: P.TargetedKeyboardEvent<HTMLTextAreaElement>) => {
    const list = suggestions.value;
    if (list.length > 0) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        active.value = (active.value + 1) % list.length;
        return;
      }
      if (e.key === "ArrowUp") {
        e.preventDefault();
        active.value = (active.value - 1 + list.length) % list.length;
        return;
      }
      if ((e.key === "Enter" && !e.shiftKey) || e.key === "Tab") {
        e.preventDefault();
        const s = list[active.value];
        if (s) take(s);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        suggestions.value = [];
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    } else if (e.key === "Escape" && room.replyTo.value) {
      e.preventDefault();
      room.replyTo.value = undefined;
    } else if (e.key === "ArrowUp" && e.currentTarget.value === "") {
      const own = [...room.messages.value].reverse().find((m) => m.sender_id === chat.userId && m.deleted_at === undefined);
      if (own) {
        e.preventDefault();
        room.editing.value = own.seq;
      }
    }
  };

  const onPaste = (e: P.TargetedClipboardEvent<HTMLTextAreaElement>) => {
    const files = [...(e.clipboardData?.files ?? [])];
    if (files.length > 0) {
      e.preventDefault();
      room.addFiles(files);
    }
  };

  const listId = "mention-suggestions";
  const open = suggestions.value.length > 0;
  return (
    <form
      class="composer"
      data-testid="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      noValidate
    >
      {reply && (
        <div class="composer-reply" data-testid="composer-reply">
          <span>
            Replying to <strong>{reply.sender_id === chat.userId ? "yourself" : chat.displayName(reply.sender_id)}</strong>: <span class="quote-text">{reply.body}</span>
          </span>
          <button type="button" class="icon-button" aria-label="Cancel reply" onClick={() => (room.replyTo.value = undefined)}>
            <Icon name="close" />
          </button>
        </div>
      )}
      {uploads.length > 0 && (
        <ul class="uploads" aria-label="Files to send" data-testid="uploads">
          {uploads.map((u) => (
            <li key={u.key} class="upload" data-testid="upload" data-done={u.attachment ? "true" : undefined} data-error={u.error ? "true" : undefined}>
              {u.previewUrl ? <img src={u.previewUrl} alt={`Preview of ${u.name}`} data-testid="upload-preview" /> : <Icon name="file" />}
              <span class="upload-text">
                <span class="upload-name">{u.name}</span>
                <span class="muted small">{u.error ? u.error : u.attachment ? `${fileSize(u.size)} · ready` : `${Math.round(u.progress * 100)}%`}</span>
                {!u.attachment && !u.error && <progress max={1} value={u.progress} aria-label={`Uploading ${u.name}`} />}
              </span>
              <button type="button" class="icon-button" aria-label={`Remove ${u.name}`} onClick={() => room.removeUpload(u.key)}>
                <Icon name="close" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-row">
        <button type="button" class="icon-button" aria-label="Attach files" title="Attach files" onClick={() => fileInput.current?.click()}>
          <Icon name="attach" />
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          class="visually-hidden"
          tabIndex={-1}
          aria-hidden="true"
          data-testid="file-input"
          onChange={(e) => {
            const files = [...(e.currentTarget.files ?? [])];
            e.currentTarget.value = "";
            if (files.length > 0) room.addFiles(files);
          }}
        />
        <div class="composer-input-wrap">
          <label for="composer-input" class="visually-hidden">
            Message
          </label>
          <textarea
            id="composer-input"
            ref={input}
            data-testid="composer-input"
            rows={1}
            maxLength={4000}
            placeholder="Write a message — Enter sends, Shift+Enter adds a line"
            aria-autocomplete="list"
            aria-controls={listId}
            aria-activedescendant={open ? `mention-${active.value}` : undefined}
            value={text.value}
            onInput={(e) => {
              text.value = e.currentTarget.value;
              autosize();
              updateSuggestions();
              room.onTypingInput(e.currentTarget.value !== "");
            }}
            onKeyDown={onKeyDown}
            onKeyUp={(e) => {
              if (e.key === "ArrowLeft" || e.key === "ArrowRight" || e.key === "Home" || e.key === "End") updateSuggestions();
            }}
            onPaste={onPaste}
            onBlur={() => setTimeout(() => (suggestions.value = []), 150)}
          />
          <ul id={listId} class="suggestions" role="listbox" aria-label="Members to mention" hidden={!open} data-testid="mention-suggestions">
            {suggestions.value.map((s, i) => (
              <li
                id={`mention-${i}`}
                role="option"
                aria-selected={i === active.value}
                class={i === active.value ? "active" : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  take(s);
                }}
              >
                <strong>{s.name}</strong> <span class="muted">@{s.username}</span>
              </li>
            ))}
          </ul>
        </div>
        <button type="submit" class="primary" data-testid="composer-send">
          Send
        </button>
      </div>
    </form>
  );
}
