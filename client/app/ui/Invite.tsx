/**
 * Invite links (docs/protocol.md §22.17): the join screen a link opens
 * (`#/invite/<code>`, the URL the engine hands out), and the owner's and
 * admins' list of a group's links in its settings.
 *
 * A link opened signed out is remembered for the tab (sessionStorage): once
 * signed in — on this page, or back from an OAuth provider — the app comes
 * back to the join screen.
 */
import { effect, useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect, useRef } from "preact/hooks";
import { ParleyError } from "../../src/index.ts";
import * as api from "../api/integrations.ts";
import { errorText, type Chat } from "../chat.ts";
import { longTime } from "../format.ts";
import type { Session } from "../session.ts";
import { askConfirm, go, route } from "../ui-state.ts";
import { BackLink } from "./common.tsx";
import { SignIn } from "./SignIn.tsx";

const PENDING = "parley.pendingInvite";

// Whenever the route is a join screen, remember its code until that screen has been shown signed in.
effect(() => {
  const r = route.value;
  if (r.name === "invite") sessionStorage.setItem(PENDING, r.code);
});

/** After a sign-in: back to the invite that was opened signed out, if any. The signed-in shell calls this once. */
export function resumePendingInvite(): void {
  const code = sessionStorage.getItem(PENDING);
  if (code && route.value.name !== "invite") go({ name: "invite", code }, true);
}

/** The sign-in screen, saying why: a link was opened signed out. */
export function InviteSignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  return (
    <>
      <p class="banner banner-info" role="status" data-testid="invite-sign-in-hint">
        Sign in to join the group you were invited to.
      </p>
      <SignIn onSignedIn={onSignedIn} />
    </>
  );
}

/** What to say for a refused preview or join (the engine's message, or plainer words for the known codes). */
function refusal(err: unknown): string {
  if (err instanceof ParleyError) {
    switch (err.code) {
      case "not_found":
        return "This invite link is invalid, has expired, was revoked or has been used up. Ask for a new one.";
      case "forbidden":
        return "You cannot join this group.";
      case "conflict":
        return "This group is full.";
      case "rate_limited":
        return "Too many invite links opened; wait a little and try again.";
    }
  }
  return errorText(err);
}

type Preview = Awaited<ReturnType<typeof api.previewInvite>>["invite"];

/** The join screen: the group's name and size, and a Join button. */
export function InviteView({ chat, code }: { chat: Chat; code: string }) {
  const preview = useSignal<Preview | undefined>(undefined);
  const error = useSignal("");
  const joining = useSignal(false);
  useEffect(() => {
    sessionStorage.removeItem(PENDING);
    preview.value = undefined;
    error.value = "";
    api.previewInvite(code).then(
      (r) => (preview.value = r.invite),
      (err) => (error.value = refusal(err)),
    );
  }, [code]);
  const join = async () => {
    joining.value = true;
    error.value = "";
    try {
      const { conversation } = await api.joinInvite(code);
      chat.putView(conversation);
      go({ name: "conversation", id: conversation.id }, true);
    } catch (err) {
      error.value = refusal(err);
    } finally {
      joining.value = false;
    }
  };
  const p = preview.value;
  return (
    <section class="page" aria-labelledby="invite-title" data-testid="invite-view">
      <header class="page-header">
        <BackLink />
        <h2 id="invite-title">Invitation to a group</h2>
      </header>
      <div class="invite-card">
        {p ? (
          <>
            <h3 data-testid="invite-group-title">{p.title ?? "A group"}</h3>
            <p class="muted" data-testid="invite-member-count">
              {p.member_count} member{p.member_count === 1 ? "" : "s"} · link valid until {longTime(p.expires_at)}
            </p>
            <div class="row">
              <button type="button" class="primary" data-testid="invite-join" disabled={joining.value} onClick={() => void join()}>
                {joining.value ? "Joining…" : "Join group"}
              </button>
              <a class="button" href="#/">
                Not now
              </a>
            </div>
          </>
        ) : (
          !error.value && <p class="muted">Reading the invitation…</p>
        )}
        <p class="error" role="alert" data-testid="invite-error">
          {error.value}
        </p>
        {error.value && !p && (
          <a class="button" href="#/">
            Back to conversations
          </a>
        )}
      </div>
    </section>
  );
}

const EXPIRY_CHOICES: Array<{ label: string; ms: number }> = [
  { label: "1 hour", ms: 3_600_000 },
  { label: "1 day", ms: 86_400_000 },
  { label: "7 days", ms: 7 * 86_400_000 },
  { label: "30 days", ms: 30 * 86_400_000 },
];

function inviteState(i: api.Invite, now: number): string {
  if (i.revoked) return "revoked";
  if (i.expires_at <= now) return "expired";
  if (i.max_uses !== undefined && i.uses >= i.max_uses) return "used up";
  return "active";
}

/** Puts text on the clipboard; where the browser refuses, selects it in its field for the person to copy. */
export async function copyText(text: string, field?: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    field?.select();
    return false;
  }
}

/** A group's invite links, for its owner and admins: create (expiry, optional use limit), list, copy, revoke. */
export function InviteLinks({ conversationId }: { conversationId: string }) {
  const invites = useSignal<api.Invite[] | undefined>(undefined);
  const expiry = useSignal(String(EXPIRY_CHOICES[2]!.ms));
  const maxUses = useSignal("");
  const created = useSignal<{ url: string; id: string } | undefined>(undefined);
  const status = useSignal("");
  const error = useSignal("");
  const load = () =>
    api.listInvites(conversationId).then(
      (r) => (invites.value = r.invites),
      (err) => (error.value = errorText(err)),
    );
  useEffect(() => void load(), [conversationId]);
  const create = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    error.value = "";
    status.value = "";
    const uses = maxUses.value.trim() === "" ? undefined : Number(maxUses.value);
    if (uses !== undefined && !(Number.isInteger(uses) && uses >= 1 && uses <= 10_000)) {
      error.value = "Uses: a whole number from 1 to 10000, or empty for no limit.";
      return;
    }
    try {
      const r = await api.createInvite(conversationId, Number(expiry.value), uses);
      created.value = { url: r.url, id: r.invite.id };
      maxUses.value = "";
      await load();
    } catch (err) {
      error.value = errorText(err);
    }
  };
  const revoke = (i: api.Invite) =>
    askConfirm({
      title: "Revoke this invite link?",
      text: "Nobody can join with it any more. People who joined with it stay in the group.",
      confirm: "Revoke",
      danger: true,
      onConfirm: async () => {
        try {
          await api.revokeInvite(conversationId, i.id);
          if (created.value?.id === i.id) created.value = undefined;
          await load();
        } catch (err) {
          error.value = errorText(err);
        }
      },
    });
  const now = Date.now();
  return (
    <section class="invite-links" aria-labelledby="invite-links-title" data-testid="invite-links">
      <h3 id="invite-links-title">Invite links</h3>
      <p class="muted small">Anyone signed in who opens a link joins the group, until it expires, is used up or revoked.</p>
      <form class="row" onSubmit={(e) => void create(e)}>
        <label for="invite-expiry">
          Expires after
          <select id="invite-expiry" value={expiry.value} onChange={(e) => (expiry.value = e.currentTarget.value)}>
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.ms} value={String(c.ms)}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <label for="invite-max-uses">
          Uses (empty: no limit)
          <input id="invite-max-uses" inputMode="numeric" maxLength={5} value={maxUses.value} onInput={(e) => (maxUses.value = e.currentTarget.value)} />
        </label>
        <button type="submit" data-testid="invite-create">
          Create link
        </button>
      </form>
      {created.value && <NewLink url={created.value.url} onCopied={(ok) => (status.value = ok ? "Link copied." : "Select the link and copy it.")} />}
      <p class="muted small" role="status">
        {status.value}
      </p>
      {invites.value && invites.value.length > 0 && (
        <ul class="invite-list" data-testid="invite-list">
          {invites.value.map((i) => {
            const state = inviteState(i, now);
            return (
              <li key={i.id} class="invite-item" data-testid="invite-item" data-state={state}>
                <span class="grow">
                  <span class={`role${state === "active" ? "" : " role-inactive"}`}>{state}</span>{" "}
                  <span data-testid="invite-uses">{`${i.uses}${i.max_uses !== undefined ? ` of ${i.max_uses}` : ""} used`}</span> ·{" "}
                  <span class="muted small">
                    {state === "expired" ? "expired" : "expires"} {longTime(i.expires_at)}
                  </span>
                </span>
                {state === "active" && (
                  <button type="button" class="small danger" data-testid="invite-revoke" onClick={() => revoke(i)}>
                    Revoke
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p class="error" role="alert" data-testid="invite-links-error">
        {error.value}
      </p>
    </section>
  );
}

/** The link just made: shown once (the engine keeps only a hash of it), with a copy button. */
function NewLink({ url, onCopied }: { url: string; onCopied: (ok: boolean) => void }) {
  const field = useRef<HTMLInputElement>(null);
  return (
    <div class="row new-secret" data-testid="invite-new">
      <label for="invite-url" class="grow">
        New link (shown once: copy it now)
        <input id="invite-url" readOnly value={url} ref={field} data-testid="invite-url" />
      </label>
      <button type="button" data-testid="invite-copy" onClick={() => void copyText(url, field.current).then(onCopied)}>
        Copy
      </button>
    </div>
  );
}
