/** Settings: profile, status, privacy, notifications, appearance, security (Security.tsx), blocked people, shortcuts, sign-out. */
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import * as rest from "../api/rest.ts";
import { errorText, type Chat } from "../chat.ts";
import { setTheme, theme, type Theme } from "../ui-state.ts";
import { BackLink } from "./common.tsx";
import { PushSettings } from "./PushSettings.tsx";
import { SecuritySettings } from "./Security.tsx";

export function SettingsView({ chat }: { chat: Chat }) {
  return (
    <section class="page settings" aria-labelledby="settings-title" data-testid="settings-view">
      <header class="page-header">
        <BackLink />
        <h2 id="settings-title">Settings</h2>
        <span class="spacer" />
        <button type="button" data-testid="logout" onClick={() => void chat.signOut()}>
          Sign out
        </button>
      </header>
      <Profile chat={chat} />
      <Status chat={chat} />
      <Privacy chat={chat} />
      <DesktopNotifications />
      <PushSettings />
      <Appearance />
      <SecuritySettings />
      <Blocked chat={chat} />
      <Shortcuts />
    </section>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: JSX.Element | JSX.Element[] | (JSX.Element | false | undefined)[] }) {
  return (
    <section class="settings-section" aria-labelledby={id} data-testid={`settings-${id}`}>
      <h3 id={id}>{title}</h3>
      {children}
    </section>
  );
}

function Profile({ chat }: { chat: Chat }) {
  const me = chat.me.value;
  const name = useSignal(me?.user.display_name ?? "");
  const avatar = useSignal(me?.user.avatar_url ?? "");
  const status = useSignal("");
  useEffect(() => {
    name.value = me?.user.display_name ?? "";
    avatar.value = me?.user.avatar_url ?? "";
  }, [me?.user.display_name, me?.user.avatar_url]);
  const save = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    status.value = "Saving…";
    try {
      chat.me.value = await rest.patchMe({ display_name: name.value.trim() || null, avatar_url: avatar.value.trim() || null });
      status.value = "Saved.";
    } catch (err) {
      status.value = errorText(err);
    }
  };
  return (
    <Section id="profile" title="Profile">
      <form class="stack" onSubmit={save} noValidate>
        <p class="muted">
          Username: <strong>@{chat.session.user.username}</strong> (cannot be changed)
        </p>
        <label for="display-name">Display name</label>
        <input id="display-name" maxLength={64} placeholder={chat.session.user.username} value={name.value} onInput={(e) => (name.value = e.currentTarget.value)} />
        <label for="avatar-url">Avatar image address (https://…)</label>
        <input id="avatar-url" type="url" maxLength={2048} value={avatar.value} onInput={(e) => (avatar.value = e.currentTarget.value)} aria-describedby="avatar-hint" />
        <p id="avatar-hint" class="hint">
          Other apps may show this picture. This app shows initials instead: it loads no images from other sites.
        </p>
        <button type="submit" class="primary">
          Save profile
        </button>
        <p class="hint" role="status" data-testid="profile-status">
          {status.value}
        </p>
      </form>
    </Section>
  );
}

function Status({ chat }: { chat: Chat }) {
  return (
    <Section id="status" title="Status">
      <fieldset class="radios">
        <legend>Others see you as</legend>
        {(["online", "away", "busy"] as const).map((s) => (
          <label>
            <input type="radio" name="my-status" value={s} checked={chat.myStatus.value === s} onChange={() => chat.setMyStatus(s)} /> {s === "online" ? "Online" : s === "away" ? "Away" : "Busy"}
          </label>
        ))}
      </fieldset>
    </Section>
  );
}

function Privacy({ chat }: { chat: Chat }) {
  const settings = chat.me.value?.settings;
  const status = useSignal("");
  const patch = async (p: rest.MePatch) => {
    status.value = "Saving…";
    try {
      chat.me.value = await rest.patchMe(p);
      status.value = "Saved.";
    } catch (err) {
      status.value = errorText(err);
    }
  };
  /** A switch shows its new state at once; the engine's answer (or the old state, on a refusal) follows. */
  const share = (key: "share_presence" | "share_read_receipts" | "share_typing", on: boolean) => {
    const before = chat.me.value;
    if (before) chat.me.value = { ...before, settings: { ...before.settings, [key]: on } };
    void patch({ settings: { [key]: on } }).then(() => {
      if (status.value !== "Saved." && before) chat.me.value = before;
    });
  };
  return (
    <Section id="privacy" title="Privacy and notifications">
      <label for="setting-notifications">Notify me of</label>
      <select id="setting-notifications" value={settings?.notifications ?? "all"} onChange={(e) => void patch({ settings: { notifications: e.currentTarget.value as "all" | "mentions" | "none" } })}>
        <option value="all">Mentions, replies and groups I am added to</option>
        <option value="mentions">Mentions and replies only</option>
        <option value="none">Nothing</option>
      </select>
      <label for="setting-group-adds">Who may add me to groups</label>
      <select id="setting-group-adds" value={settings?.group_adds ?? "everyone"} onChange={(e) => void patch({ settings: { group_adds: e.currentTarget.value as "everyone" | "contacts" } })}>
        <option value="everyone">Everyone</option>
        <option value="contacts">Only people I have a direct conversation with</option>
      </select>
      <label class="check">
        <input type="checkbox" checked={settings?.share_presence !== false} onChange={(e) => share("share_presence", e.currentTarget.checked)} /> Show others when I am online and when I was last seen
      </label>
      <label class="check">
        <input type="checkbox" checked={settings?.share_read_receipts !== false} onChange={(e) => share("share_read_receipts", e.currentTarget.checked)} /> Send read receipts (when off, I do not see others' either)
      </label>
      <label class="check">
        <input type="checkbox" checked={settings?.share_typing !== false} onChange={(e) => share("share_typing", e.currentTarget.checked)} /> Show others when I am typing
      </label>
      <p class="hint" role="status" data-testid="privacy-status">
        {status.value}
      </p>
    </Section>
  );
}

function DesktopNotifications() {
  const supported = "Notification" in window;
  const permission = useSignal(supported ? Notification.permission : "denied");
  return (
    <Section id="desktop" title="Desktop notifications">
      {!supported ? (
        <p>This browser cannot show desktop notifications.</p>
      ) : permission.value === "granted" ? (
        <p data-testid="desktop-status">On: new messages show as desktop notifications while this tab is hidden.</p>
      ) : permission.value === "denied" ? (
        <p data-testid="desktop-status">Blocked in this browser's site settings.</p>
      ) : (
        <button type="button" data-testid="enable-desktop" onClick={() => void Notification.requestPermission().then((p) => (permission.value = p))}>
          Turn on desktop notifications
        </button>
      )}
    </Section>
  );
}

function Appearance() {
  return (
    <Section id="appearance" title="Appearance">
      <fieldset class="radios">
        <legend>Theme</legend>
        {(["system", "light", "dark"] as Theme[]).map((t) => (
          <label>
            <input type="radio" name="theme" value={t} checked={theme.value === t} onChange={() => setTheme(t)} /> {t === "system" ? "As the system" : t === "light" ? "Light" : "Dark"}
          </label>
        ))}
      </fieldset>
    </Section>
  );
}

function Blocked({ chat }: { chat: Chat }) {
  const name = useSignal("");
  const status = useSignal("");
  const run = async (blocked: boolean) => {
    const u = name.value.trim();
    if (!u) return;
    try {
      await chat.setBlocked(u, blocked);
      status.value = blocked ? `${u} is blocked.` : `${u} is unblocked.`;
      name.value = "";
    } catch (err) {
      status.value = errorText(err);
    }
  };
  const list = [...chat.blocked.value];
  return (
    <Section id="blocked" title="Blocked people">
      {list.length > 0 && <p>Blocked from this device: {list.join(", ")}</p>}
      <label for="block-username">Username</label>
      <div class="row">
        <input id="block-username" value={name.value} onInput={(e) => (name.value = e.currentTarget.value)} />
        <button type="button" onClick={() => void run(true)}>
          Block
        </button>
        <button type="button" onClick={() => void run(false)}>
          Unblock
        </button>
      </div>
      <p class="hint" role="status">
        {status.value}
      </p>
    </Section>
  );
}

function Shortcuts() {
  const rows: Array<[string, string]> = [
    ["Enter", "Send the message"],
    ["Shift + Enter", "New line"],
    ["↑ in an empty composer", "Edit your last message"],
    ["@", "Mention a member (↑ ↓ choose, Enter or Tab take)"],
    ["Escape", "Close a dialog or menu, cancel a reply or an edit"],
    ["Alt + ↑ / Alt + ↓", "Previous / next conversation"],
    ["Ctrl + K", "Search messages"],
  ];
  return (
    <Section id="shortcuts" title="Keyboard shortcuts">
      <dl class="shortcuts">
        {rows.map(([k, v]) => [<dt>
            <kbd>{k}</kbd>
          </dt>, <dd>{v}</dd>])}
      </dl>
    </Section>
  );
}
