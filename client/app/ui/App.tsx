/** The app: sign-in screens, or the signed-in shell (list, the screen of the route, banner, toasts, dialogs). */
import { Icon } from "./icons.tsx";
import { signal, useSignalEffect } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { Chat, errorText } from "../chat.ts";
import { maySignInFromCookie, resumeSession, type Session } from "../session.ts";
import { askConfirm, confirmation, dismissNotice, go, narrow, notices, route } from "../ui-state.ts";
import { Dialog } from "./common.tsx";
import { ConversationView } from "./Conversation.tsx";
import { NotificationsView } from "./Notifications.tsx";
import { SearchView } from "./Search.tsx";
import { SettingsView } from "./Settings.tsx";
import { Sidebar } from "./Sidebar.tsx";
import { ChooseUsername, SignIn } from "./SignIn.tsx";
import { AdminView } from "./admin/AdminView.tsx";
import { InviteSignIn, InviteView, resumePendingInvite } from "./Invite.tsx";

const chat = signal<Chat | undefined>(undefined);
const signOutMessage = signal<string | undefined>(undefined);

function start(session: Session): void {
  const c = new Chat(session, (message) => {
    chat.value = undefined;
    signOutMessage.value = message;
    go(message ? { name: "sign-in" } : { name: "sign-in" }, true);
  });
  c.start();
  chat.value = c;
  signOutMessage.value = undefined;
}

// A reload (or a new tab) resumes the browser's session from its cookie (session.ts).
const resuming = signal(maySignInFromCookie());
if (resuming.value) {
  resumeSession()
    .then((s) => {
      if (s && !chat.value) start(s);
    })
    .catch((err: unknown) => (signOutMessage.value = `Could not resume your session: ${errorText(err)}`))
    .finally(() => (resuming.value = false));
}

export function App() {
  const c = chat.value;
  const r = route.value;
  // Signed in on a sign-in screen (or signed out elsewhere): go where one can be.
  useSignalEffect(() => {
    const signedIn = chat.value !== undefined;
    const name = route.value.name;
    if (signedIn && (name === "sign-in" || name === "choose-username")) go({ name: "home" }, true);
  });
  if (!c) {
    if (resuming.value) {
      return (
        <main class="sign-in" data-testid="resuming" aria-busy="true" aria-label="Signing in">
          <p>Signing in…</p>
        </main>
      );
    }
    if (r.name === "invite") return <InviteSignIn onSignedIn={(s) => (start(s), go(r, true))} />;
    if (r.name === "choose-username") return <ChooseUsername ticket={r.ticket} {...(r.suggested ? { suggested: r.suggested } : {})} onSignedIn={(s) => (start(s), go({ name: "home" }, true))} />;
    return <SignIn onSignedIn={(s) => (start(s), go({ name: "home" }, true))} {...(signOutMessage.value ? { message: signOutMessage.value } : {})} {...(r.name === "sign-in" && r.error ? { error: r.error } : {})} />;
  }
  return <Shell chat={c} />;
}

function Shell({ chat }: { chat: Chat }) {
  const r = route.value;
  const roomId = r.name === "conversation" ? r.id : undefined;
  useEffect(() => {
    if (roomId) chat.openRoom(roomId);
    else chat.closeRoom();
  }, [roomId]);
  useEffect(resumePendingInvite, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        go({ name: "search", q: "" });
      } else if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
        const list = chat.sorted.value;
        const current = route.value.name === "conversation" ? list.findIndex((x) => x.id === (route.value as { id: string }).id) : -1;
        const next = list[e.key === "ArrowDown" ? current + 1 : Math.max(0, current - 1)];
        if (next) {
          e.preventDefault();
          go({ name: "conversation", id: next.id });
        }
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  const room = chat.room.value;
  const view = r.name === "home" ? "list" : "main";
  return (
    <div class="app" data-testid="chat-view">
      <a class="skip-link" href="#main-pane">
        Skip to content
      </a>
      <ConnectionBanner chat={chat} />
      <div class="shell" data-view={view} data-narrow={narrow.value ? "true" : undefined}>
        <Sidebar chat={chat} />
        <main class="pane" id="main-pane" tabIndex={-1} aria-label="Content">
          {r.name === "conversation" && room && room.id === r.id ? (
            <ConversationView key={room.id} chat={chat} room={room} info={r.info === true} {...(r.seq ? { jumpSeq: r.seq } : {})} />
          ) : r.name === "search" ? (
            <SearchView chat={chat} initial={r.q} />
          ) : r.name === "notifications" ? (
            <NotificationsView chat={chat} />
          ) : r.name === "settings" ? (
            <SettingsView chat={chat} />
          ) : r.name === "invite" ? (
            <InviteView chat={chat} code={r.code} />
          ) : r.name === "admin" ? (
            <AdminView chat={chat} section={r.section} {...(r.id ? { id: r.id } : {})} />
          ) : (
            <div class="placeholder" data-testid="no-conversation">
              <p>Pick a conversation, or start one with “New conversation”.</p>
            </div>
          )}
        </main>
      </div>
      <Toasts chat={chat} />
      <ConfirmDialog />
    </div>
  );
}

/** Says when the app is not connected, and how many messages wait to go out. */
function ConnectionBanner({ chat }: { chat: Chat }) {
  const room = chat.room.value;
  const status = room?.handle ? room.status.value : chat.inboxStatus.value;
  const queued = room ? room.queued : 0;
  const offline = !chat.online.value;
  const waiting = queued > 0 ? ` ${queued} message${queued === 1 ? "" : "s"} waiting to be sent.` : "";
  let text = "";
  let kind = "";
  if (offline) {
    text = `You are offline.${waiting || " Messages you write are sent when the connection is back."}`;
    kind = "offline";
  } else if (status === "reconnecting" || (status === "connecting" && queued > 0)) {
    text = `Reconnecting…${waiting}`;
    kind = "reconnecting";
  } else if (status === "failed") {
    text = `Disconnected.${waiting}`;
    kind = "failed";
  }
  return (
    <div class={`banner${text ? ` banner-${kind}` : ""}`} data-testid="connection-banner" data-kind={kind || undefined} role="status" aria-live="polite" hidden={!text}>
      {text}
      {kind === "failed" && (
        <button type="button" class="small" onClick={() => (room?.handle?.connect(), chat.client.inbox().connect())}>
          Try again
        </button>
      )}
    </div>
  );
}

function Toasts({ chat }: { chat: Chat }) {
  return (
    <div class="toasts" aria-live="polite" data-testid="toasts">
      {chat.toasts.value.map((t) => (
        <div key={t.id} class="toast" data-testid="toast" role="status">
          <button
            type="button"
            class="toast-main"
            onClick={() => {
              chat.dismissToast(t.id);
              go({ name: "conversation", id: t.conversationId });
            }}
          >
            <strong>{t.title}</strong>
            <span class="toast-text">{t.text}</span>
          </button>
          <button type="button" class="icon-button" aria-label="Dismiss" onClick={() => chat.dismissToast(t.id)}>
            <Icon name="close" />
          </button>
        </div>
      ))}
      {notices.value.map((n) => (
        <div key={`n${n.id}`} class="toast toast-error" role="alert" data-testid="notice">
          <span class="toast-text">{n.text}</span>
          <button type="button" class="icon-button" aria-label="Dismiss" onClick={() => dismissNotice(n.id)}>
            <Icon name="close" />
          </button>
        </div>
      ))}
    </div>
  );
}

function ConfirmDialog() {
  const c = confirmation.value;
  if (!c) return null;
  const close = () => (confirmation.value = undefined);
  return (
    <Dialog title={c.title} onClose={close} testId="confirm-dialog">
      <p>{c.text}</p>
      <div class="row end">
        <button type="button" onClick={close}>
          Cancel
        </button>
        <button
          type="button"
          class={c.danger ? "primary danger" : "primary"}
          autoFocus
          onClick={() => {
            close();
            void c.onConfirm();
          }}
        >
          {c.confirm}
        </button>
      </div>
    </Dialog>
  );
}

export { askConfirm };
