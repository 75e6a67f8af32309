/**
 * Settings → Security: the account's passkeys (add, rename, delete), linked
 * GitHub / Google accounts (link, unlink), and the sessions of every device
 * (sign out one, or all others). Each part hides itself on an engine
 * without its routes (404). Deleting or unlinking the last way to sign in
 * is refused by the engine (409); the message says what to do instead.
 */
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { isNotFound } from "../api/http.ts";
import * as security from "../api/security.ts";
import { errorText } from "../chat.ts";
import { deviceName } from "../device-name.ts";
import { longTime } from "../format.ts";
import { ParleyError } from "../../src/index.ts";
import { addPasskey, authMethods, expectOAuthReturn, oauthLinkUrl, type AuthMethods } from "../session.ts";
import { askConfirm } from "../ui-state.ts";
import { passkeysSupported } from "../webauthn.ts";
import { providerName } from "./SignIn.tsx";

const LAST_WAY =
  "This is the last way to sign in to your account, so it cannot be removed. Add another passkey or link another account first.";

/** An error of a removal, with the engine's 409 explained. */
function removalError(err: unknown): string {
  return err instanceof ParleyError && err.code === "conflict" ? LAST_WAY : errorText(err);
}

export function SecuritySettings() {
  const methods = useSignal<AuthMethods | undefined>(undefined);
  useEffect(() => {
    authMethods().then(
      (m) => (methods.value = m),
      () => (methods.value = { dev_login: false, passkeys: false, oauth: [] }),
    );
  }, []);
  return (
    <section class="settings-section" aria-labelledby="security" data-testid="settings-security">
      <h3 id="security">Security</h3>
      <Passkeys methods={methods.value} />
      <LinkedAccounts methods={methods.value} />
      <Sessions />
    </section>
  );
}

function Part({ id, title, children }: { id: string; title: string; children: JSX.Element | (JSX.Element | false | null | undefined)[] }) {
  return (
    <section class="stack" aria-labelledby={id} data-testid={`security-${id}`}>
      <h4 id={id}>{title}</h4>
      {children}
    </section>
  );
}

/** Loads a list once; `null` when the engine has no such route. */
function useList<T>(load: () => Promise<T[]>) {
  const list = useSignal<T[] | null | undefined>(undefined);
  const status = useSignal("");
  const reload = () =>
    load().then(
      (items) => void (list.value = items),
      (err: unknown) => {
        if (isNotFound(err)) list.value = null;
        else (status.value = errorText(err)), (list.value ??= []);
      },
    );
  useEffect(() => void reload(), []);
  return { list, status, reload };
}

function Passkeys({ methods }: { methods: AuthMethods | undefined }) {
  const { list, status, reload } = useList(() => security.passkeys().then((r) => r.passkeys));
  const editing = useSignal<string | undefined>(undefined);
  const name = useSignal("");
  if (list.value === null || list.value === undefined) return null;

  const rename = async (e: P.TargetedSubmitEvent<HTMLFormElement>, id: string) => {
    e.preventDefault();
    const next = name.value.trim();
    if (next.length < 1 || next.length > 64) {
      status.value = "A passkey's name is 1–64 characters.";
      return;
    }
    try {
      await security.renamePasskey(id, next);
      editing.value = undefined;
      status.value = "Passkey renamed.";
      await reload();
    } catch (err) {
      status.value = errorText(err);
    }
  };
  const remove = (p: security.PasskeyView) =>
    askConfirm({
      title: "Delete this passkey?",
      text: `“${p.name}” will no longer sign you in. The device may still offer it; remove it there too.`,
      confirm: "Delete",
      danger: true,
      onConfirm: () =>
        security.deletePasskey(p.id).then(
          () => ((status.value = "Passkey deleted."), reload()),
          (err: unknown) => void (status.value = removalError(err)),
        ),
    });
  const canAdd = methods?.passkeys === true && passkeysSupported();

  return (
    <Part id="passkeys" title="Passkeys">
      {list.value.length === 0 ? (
        <p>No passkeys yet.</p>
      ) : (
        <ul class="plain-list" data-testid="passkeys">
          {list.value.map((p) => (
            <li key={p.id} class="row" data-testid="passkey">
              {editing.value === p.id ? (
                <form class="row grow" onSubmit={(e) => void rename(e, p.id)}>
                  <label for={`rename-${p.id}`} class="visually-hidden">
                    New name for {p.name}
                  </label>
                  <input id={`rename-${p.id}`} autoFocus maxLength={64} value={name.value} onInput={(e) => (name.value = e.currentTarget.value)} onKeyDown={(e) => e.key === "Escape" && (editing.value = undefined)} />
                  <button type="submit" class="small primary">
                    Save
                  </button>
                  <button type="button" class="small" onClick={() => (editing.value = undefined)}>
                    Cancel
                  </button>
                </form>
              ) : (
                <>
                  <span class="grow">
                    <span data-testid="passkey-name">{p.name}</span>{" "}
                    <span class="muted small">
                      added {longTime(p.created_at)}
                      {p.last_used_at ? `, last used ${longTime(p.last_used_at)}` : ""}
                      {p.backed_up ? ", synced" : ""}
                    </span>
                  </span>
                  <button type="button" class="small" aria-label={`Rename passkey ${p.name}`} onClick={() => ((name.value = p.name), (editing.value = p.id))}>
                    Rename
                  </button>
                  <button type="button" class="small danger" aria-label={`Delete passkey ${p.name}`} onClick={() => remove(p)}>
                    Delete
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {canAdd && (
        <button
          type="button"
          data-testid="add-passkey"
          onClick={() =>
            void addPasskey().then(
              () => ((status.value = "Passkey added."), reload()),
              (err: unknown) => (status.value = err instanceof DOMException ? `No passkey was added (${err.name}).` : errorText(err)),
            )
          }
        >
          Add a passkey
        </button>
      )}
      <p class="hint" role="status" data-testid="passkeys-status">
        {status.value}
      </p>
    </Part>
  );
}

function LinkedAccounts({ methods }: { methods: AuthMethods | undefined }) {
  const { list, status, reload } = useList(() => security.identities().then((r) => r.identities));
  if (list.value === null || list.value === undefined || !methods) return null;
  const linked = list.value;
  const providers = [...new Set([...methods.oauth, ...linked.map((i) => i.provider)])];
  if (providers.length === 0) return null;
  const unlink = (provider: string) =>
    askConfirm({
      title: `Unlink ${providerName(provider)}?`,
      text: `You will no longer be able to sign in with ${providerName(provider)}.`,
      confirm: "Unlink",
      danger: true,
      onConfirm: () =>
        security.unlinkIdentity(provider).then(
          () => ((status.value = `${providerName(provider)} unlinked.`), reload()),
          (err: unknown) => void (status.value = removalError(err)),
        ),
    });
  return (
    <Part id="linked-accounts" title="Linked accounts">
      <ul class="plain-list" data-testid="identities">
        {providers.map((p) => {
          const identity = linked.find((i) => i.provider === p);
          return (
            <li key={p} class="row" data-testid="identity" data-provider={p} data-linked={identity ? "true" : "false"}>
              <span class="grow">
                <strong>{providerName(p)}</strong>{" "}
                <span class="muted small">{identity ? `linked${identity.label ? `: ${identity.label}` : ""}` : "not linked"}</span>
              </span>
              {identity ? (
                <button type="button" class="small danger" aria-label={`Unlink ${providerName(p)}`} onClick={() => unlink(p)}>
                  Unlink
                </button>
              ) : methods.oauth.includes(p) ? (
                <a class="button small" href={oauthLinkUrl(p)} onClick={expectOAuthReturn}>
                  Link {providerName(p)}
                </a>
              ) : null}
            </li>
          );
        })}
      </ul>
      <p class="hint" role="status" data-testid="identities-status">
        {status.value}
      </p>
    </Part>
  );
}

const METHOD_NAMES: Record<string, string> = { dev: "development sign-in", passkey: "a passkey", github: "GitHub", google: "Google" };

function Sessions() {
  const { list, status, reload } = useList(() => security.sessions().then((r) => r.sessions));
  if (list.value === null || list.value === undefined) return null;
  const others = list.value.filter((s) => !s.current).length;
  return (
    <Part id="sessions" title="Signed-in devices">
      <ul class="plain-list" data-testid="sessions">
        {list.value.map((s) => (
          <li key={s.id} class="row" data-testid="session" data-current={s.current ? "true" : undefined}>
            <span class="grow">
              <strong>{deviceName(s.agent)}</strong>
              {s.current ? <span class="badge"> (this device)</span> : null}{" "}
              <span class="muted small">
                {s.method ? `with ${METHOD_NAMES[s.method] ?? s.method}, ` : ""}signed in {longTime(s.created_at)}, last active {longTime(s.last_used_at)}
              </span>
            </span>
            {!s.current && (
              <button
                type="button"
                class="small"
                aria-label={`Sign out ${deviceName(s.agent)}, last active ${longTime(s.last_used_at)}`}
                onClick={() =>
                  void security.revokeSession(s.id).then(
                    () => ((status.value = "That device is signed out."), reload()),
                    (err: unknown) => (status.value = errorText(err)),
                  )
                }
              >
                Sign out
              </button>
            )}
          </li>
        ))}
      </ul>
      {others > 0 && (
        <button
          type="button"
          data-testid="revoke-others"
          onClick={() =>
            void security.revokeOtherSessions().then(
              (r) => ((status.value = `Signed out ${r.revoked} other device${r.revoked === 1 ? "" : "s"}.`), reload()),
              (err: unknown) => (status.value = errorText(err)),
            )
          }
        >
          Sign out all other devices
        </button>
      )}
      <p class="hint" role="status" data-testid="sessions-status">
        {status.value}
      </p>
    </Part>
  );
}
