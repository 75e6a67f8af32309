/** Message search: in the open conversation (a side panel) and across every conversation (a screen). */
import { BotBadge } from "./BotBadge.tsx";
import { Icon } from "./icons.tsx";
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Message } from "../../src/index.ts";
import { errorText, type Chat } from "../chat.ts";
import { longTime } from "../format.ts";
import type { Room } from "../room.ts";
import { go, narrow } from "../ui-state.ts";
import { BackLink } from "./common.tsx";

interface Hit {
  message: Message;
  snippet: Array<{ text: string; match: boolean }>;
  conversation_id?: string;
}

/** A snippet's parts as text, the matches marked (never as HTML). */
function Snippet({ parts }: { parts: Hit["snippet"] }) {
  return <span class="snippet">{parts.map((p) => (p.match ? <mark>{p.text}</mark> : p.text))}</span>;
}

function Results({ chat, hits, onPick, showConversation }: { chat: Chat; hits: Hit[]; onPick: (h: Hit) => void; showConversation?: boolean }) {
  return (
    <ul class="search-results" data-testid="search-results" aria-label="Results">
      {hits.map((h) => (
        <li key={`${h.conversation_id ?? ""}:${h.message.seq}`}>
          <button type="button" class="search-result" data-testid="search-result" data-seq={h.message.seq} onClick={() => onPick(h)}>
            <span class="result-meta">
              <strong>{chat.displayName(h.message.sender_id)}</strong> <BotBadge chat={chat} userId={h.message.sender_id} />
              {showConversation && h.conversation_id && <span class="muted"> in {chat.title(h.conversation_id)}</span>}
              <time class="muted small"> {longTime(h.message.created_at)}</time>
            </span>
            <Snippet parts={h.snippet} />
          </button>
        </li>
      ))}
    </ul>
  );
}

export function ConversationSearch({ chat, room, onClose }: { chat: Chat; room: Room; onClose: () => void }) {
  const q = useSignal("");
  const hits = useSignal<Hit[] | undefined>(undefined);
  const cursor = useSignal<string | undefined>(undefined);
  const status = useSignal("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const run = async (more = false) => {
    if (q.value.trim() === "") return;
    status.value = "Searching…";
    try {
      const page = await chat.client.api.search(room.id, q.value.trim(), more && cursor.value ? { cursor: cursor.value } : {});
      hits.value = more ? [...(hits.value ?? []), ...page.results] : page.results;
      cursor.value = page.next_cursor;
      status.value = `${hits.value.length} result${hits.value.length === 1 ? "" : "s"}${page.partial ? " (still indexing; later messages may be missing)" : ""}.`;
    } catch (err) {
      status.value = errorText(err);
    }
  };
  const onSubmit = (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    void run();
  };
  return (
    <aside class="search-panel" aria-label="Search in conversation" data-testid="conversation-search" onKeyDown={(e) => e.key === "Escape" && (e.preventDefault(), onClose())}>
      <header class="row">
        <h3 class="grow">Search</h3>
        <button type="button" class="icon-button" aria-label="Close search" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <form class="row" role="search" onSubmit={onSubmit}>
        <label for="conversation-search-input" class="visually-hidden">
          Search in this conversation
        </label>
        <input id="conversation-search-input" ref={input} type="search" placeholder="Search in this conversation" value={q.value} onInput={(e) => (q.value = e.currentTarget.value)} />
        <button type="submit">Search</button>
      </form>
      <p class="hint" role="status">
        {status.value}
      </p>
      {hits.value && (
        <Results
          chat={chat}
          hits={hits.value}
          onPick={(h) => {
            void room.jumpTo(h.message.seq);
            if (narrow.value) onClose();
          }}
        />
      )}
      {cursor.value && (
        <button type="button" class="quiet wide" onClick={() => void run(true)}>
          More results
        </button>
      )}
    </aside>
  );
}

export function SearchView({ chat, initial }: { chat: Chat; initial: string }) {
  const q = useSignal(initial);
  const hits = useSignal<Hit[] | undefined>(undefined);
  const status = useSignal("");
  const input = useRef<HTMLInputElement>(null);
  const run = async (text: string) => {
    if (text.trim() === "") return;
    status.value = "Searching…";
    try {
      const answer = await chat.client.api.searchAll(text.trim(), 50);
      hits.value = answer.results;
      status.value = `${answer.results.length} result${answer.results.length === 1 ? "" : "s"}${answer.partial ? " (some conversations could not be searched in time)" : ""}.`;
    } catch (err) {
      status.value = errorText(err);
    }
  };
  useEffect(() => {
    input.current?.focus();
    if (initial) void run(initial);
  }, [initial]);
  return (
    <section class="page" aria-labelledby="search-title" data-testid="search-view">
      <header class="page-header">
        <BackLink />
        <h2 id="search-title">Search messages</h2>
      </header>
      <form
        class="row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          go({ name: "search", q: q.value.trim() }, true);
          void run(q.value);
        }}
      >
        <label for="global-search-input" class="visually-hidden">
          Search all conversations
        </label>
        <input id="global-search-input" ref={input} type="search" placeholder="Search all conversations" value={q.value} onInput={(e) => (q.value = e.currentTarget.value)} />
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      <p class="hint" role="status">
        {status.value}
      </p>
      {hits.value && <Results chat={chat} hits={hits.value} showConversation onPick={(h) => h.conversation_id && go({ name: "conversation", id: h.conversation_id, seq: h.message.seq })} />}
    </section>
  );
}
