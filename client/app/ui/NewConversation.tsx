/** Starting a conversation: find people by name, message one, or make a group of several. */
import { BotBadge } from "./BotBadge.tsx";
import { Icon } from "./icons.tsx";
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { UserView } from "../../../src/protocol/index.ts";
import { searchUsers } from "../api/rest.ts";
import { errorText, type Chat } from "../chat.ts";
import { go } from "../ui-state.ts";
import { Avatar, Dialog } from "./common.tsx";

/** A search field with results, debounced; `onPick` gets a person. */
export function PeoplePicker({ chat, label, onPick, exclude = [], id, autoFocus }: { chat: Chat; label: string; onPick: (u: UserView) => void; exclude?: string[]; id: string; autoFocus?: boolean }) {
  const q = useSignal("");
  const results = useSignal<UserView[]>([]);
  const status = useSignal("");
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const search = (text: string) => {
    q.value = text;
    clearTimeout(timer.current);
    if (text.trim() === "") {
      results.value = [];
      status.value = "";
      return;
    }
    timer.current = setTimeout(async () => {
      try {
        const page = await searchUsers(text.trim());
        if (q.value !== text) return;
        chat.learnPeople(page.users);
        const skip = new Set(exclude.map((e) => e.toLowerCase()));
        results.value = page.users.filter((u) => !skip.has(u.username.toLowerCase()));
        status.value = results.value.length === 0 ? "Nobody found." : `${results.value.length} found.`;
      } catch (err) {
        status.value = errorText(err);
      }
    }, 200);
  };
  const onKey = (e: P.TargetedKeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") {
      e.preventDefault();
      const first = results.value[0];
      if (first) pick(first);
    }
  };
  const pick = (u: UserView) => {
    onPick(u);
    q.value = "";
    results.value = [];
    status.value = "";
  };
  return (
    <div class="people-picker">
      <label for={id}>{label}</label>
      <input id={id} type="search" autoFocus={autoFocus} autocomplete="off" placeholder="Username or name" value={q.value} onInput={(e) => search(e.currentTarget.value)} onKeyDown={onKey} aria-describedby={`${id}-status`} />
      <p id={`${id}-status`} class="hint" role="status">
        {status.value}
      </p>
      {results.value.length > 0 && (
        <ul class="people-results" aria-label="People found">
          {results.value.map((u) => (
            <li key={u.id}>
              <button type="button" class="person" data-testid="person-result" onClick={() => pick(u)}>
                <Avatar name={u.display_name ?? u.username} id={u.id} size="sm" />
                <span>
                  <strong>{u.display_name ?? u.username}</strong> <BotBadge userId={u.id} bot={u.bot === true} /> <span class="muted">@{u.username}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function NewConversationDialog({ chat, onClose }: { chat: Chat; onClose: () => void }) {
  const mode = useSignal<"direct" | "group">("direct");
  const title = useSignal("");
  const members = useSignal<UserView[]>([]);
  const error = useSignal("");
  const busy = useSignal(false);

  const startDirect = async (u: UserView) => {
    if (u.id === chat.userId) {
      error.value = "Pick someone other than yourself.";
      return;
    }
    busy.value = true;
    try {
      const id = await chat.startDirect(u.username);
      onClose();
      go({ name: "conversation", id });
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
    }
  };
  const createGroup = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (title.value.trim() === "") {
      error.value = "Give the group a name.";
      return;
    }
    busy.value = true;
    try {
      const id = await chat.createGroup(title.value.trim(), members.value.map((m) => m.username));
      onClose();
      go({ name: "conversation", id });
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <Dialog title="New conversation" onClose={onClose} testId="new-conversation-dialog">
      <div class="segmented" role="radiogroup" aria-label="Kind of conversation">
        <button type="button" role="radio" aria-checked={mode.value === "direct"} onClick={() => (mode.value = "direct")}>
          Direct message
        </button>
        <button type="button" role="radio" aria-checked={mode.value === "group"} onClick={() => (mode.value = "group")}>
          New group
        </button>
      </div>
      {mode.value === "direct" ? (
        <PeoplePicker chat={chat} id="find-people" label="Find people" autoFocus onPick={(u) => void startDirect(u)} />
      ) : (
        <form class="stack" onSubmit={createGroup} noValidate>
          <label for="group-title">Group name</label>
          <input id="group-title" required maxLength={200} value={title.value} onInput={(e) => (title.value = e.currentTarget.value)} />
          <PeoplePicker
            chat={chat}
            id="group-people"
            label="Add people"
            exclude={[chat.session.user.username, ...members.value.map((m) => m.username)]}
            onPick={(u) => (members.value = [...members.value, u])}
          />
          {members.value.length > 0 && (
            <ul class="chips" aria-label="People in the new group">
              {members.value.map((m) => (
                <li key={m.id} class="chip">
                  {m.display_name ?? m.username}
                  <button type="button" class="chip-remove" aria-label={`Remove ${m.username}`} onClick={() => (members.value = members.value.filter((x) => x.id !== m.id))}>
                    <Icon name="close" />
                  </button>
                </li>
              ))}
            </ul>
          )}
          <button type="submit" class="primary" disabled={busy.value}>
            Create group
          </button>
        </form>
      )}
      <p class="error" role="alert" data-testid="new-conversation-error">
        {error.value}
      </p>
    </Dialog>
  );
}
