/** Sign-in: the methods the deployment offers (dev login, passkeys, OAuth), and the username step of a new OAuth identity. */
import { useSignal, useSignalEffect } from "@preact/signals";
import type * as P from "preact";
import { useEffect, useRef } from "preact/hooks";
import { ParleyError } from "../../src/index.ts";
import { errorText } from "../chat.ts";
import { passkeysSupported } from "../webauthn.ts";
import { authMethods, completeOAuth, devSignIn, expectOAuthReturn, oauthStartUrl, passkeySignIn, passkeySignUp, type AuthMethods, type Session } from "../session.ts";

const USERNAME = /^[A-Za-z0-9_]{3,32}$/;

/** What an OAuth error code from `#/sign-in?error=` means for a person. */
const OAUTH_ERRORS: Record<string, string> = {
  access_denied: "The sign-in was cancelled at the provider.",
  invalid_state: "The sign-in took too long, was opened twice or in another browser; try again.",
  provider_failed: "The provider could not sign you in; try again.",
  identity_linked: "That account is already linked to another Parley user; sign in with it instead.",
  session_required: "Your session ended before the account could be linked; sign in and try again.",
  internal: "Something went wrong on the server; try again.",
};

const PROVIDER_NAMES: Record<string, string> = { github: "GitHub", google: "Google", apple: "Apple", microsoft: "Microsoft", gitlab: "GitLab" };

export function providerName(p: string): string {
  return PROVIDER_NAMES[p] ?? p.charAt(0).toUpperCase() + p.slice(1);
}

export function SignIn({ onSignedIn, message, error }: { onSignedIn: (s: Session) => void; message?: string; error?: string }) {
  const methods = useSignal<AuthMethods | undefined>(undefined);
  const failure = useSignal(message ?? (error ? (OAUTH_ERRORS[error] ?? "The sign-in did not work; try again.") : ""));
  const busy = useSignal(false);
  const username = useSignal("");
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    authMethods()
      .then((m) => (methods.value = m))
      .catch((err: unknown) => {
        methods.value = { dev_login: true, passkeys: false, oauth: [] };
        failure.value = `Could not ask the server how to sign in: ${errorText(err)}`;
      });
  }, []);
  useSignalEffect(() => {
    if (methods.value) input.current?.focus();
  });

  const run = async (what: () => Promise<Session>) => {
    failure.value = "";
    busy.value = true;
    try {
      onSignedIn(await what());
    } catch (err) {
      failure.value = err instanceof DOMException && err.name === "NotAllowedError" ? "The passkey request was cancelled." : `Could not sign in: ${errorText(err)}`;
    } finally {
      busy.value = false;
    }
  };

  // Enter in the username: dev login where there is one, else a passkey sign-up with that name.
  const onSubmit = (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = username.value.trim();
    if (!USERNAME.test(name)) {
      failure.value = "A username is 3–32 letters, digits or _.";
      return;
    }
    void run(() => (methods.value?.dev_login ? devSignIn(name) : passkeySignUp(name)));
  };

  const m = methods.value;
  const passkeys = m?.passkeys && passkeysSupported();
  return (
    <main class="sign-in" data-testid="login-view" aria-labelledby="sign-in-title">
      <div class="card">
        <h1 id="sign-in-title" class="brand">
          Parley
        </h1>
        <p class="muted">Realtime messaging.</p>
        {!m && <p aria-busy="true">Loading…</p>}
        {m && (m.dev_login || passkeys) && (
          <form class="stack" data-testid="login-form" onSubmit={onSubmit} noValidate>
            <label for="login-username">Username</label>
            <input
              id="login-username"
              ref={input}
              name="username"
              data-testid="login-username"
              autocomplete="username webauthn"
              required
              minLength={3}
              maxLength={32}
              placeholder="e.g. alice"
              aria-describedby="login-hint login-error"
              value={username.value}
              onInput={(e) => (username.value = e.currentTarget.value)}
            />
            <p id="login-hint" class="hint">
              3–32 letters, digits or _{m.dev_login ? ". Development sign-in: any username." : ""}
            </p>
            {m.dev_login && (
              <button type="submit" class="primary" data-testid="login-submit" disabled={busy.value}>
                Sign in
              </button>
            )}
            {passkeys && (
              <button
                type="button"
                data-testid="passkey-sign-up"
                disabled={busy.value}
                onClick={() => {
                  const name = username.value.trim();
                  if (!USERNAME.test(name)) failure.value = "Choose a username first: 3–32 letters, digits or _.";
                  else void run(() => passkeySignUp(name));
                }}
              >
                Create an account with a passkey
              </button>
            )}
          </form>
        )}
        {passkeys && (
          <button type="button" class="wide" data-testid="passkey-sign-in" disabled={busy.value} onClick={() => void run(passkeySignIn)}>
            Sign in with a passkey
          </button>
        )}
        {m && m.oauth.length > 0 && (
          <nav class="stack" aria-label="Sign in with another account">
            {m.oauth.map((p) => (
              <a class="button wide" href={oauthStartUrl(p)} data-testid={`oauth-${p}`} onClick={expectOAuthReturn}>
                Continue with {providerName(p)}
              </a>
            ))}
          </nav>
        )}
        {m && !m.dev_login && !passkeys && m.oauth.length === 0 && <p>This server offers no way to sign in from this browser.</p>}
        <p id="login-error" class="error" role="alert" data-testid="login-error">
          {failure.value}
        </p>
      </div>
    </main>
  );
}

/** A new OAuth identity chooses its username, with the ticket the provider's callback left in the URL. */
export function ChooseUsername({ ticket, suggested, onSignedIn }: { ticket: string; suggested?: string; onSignedIn: (s: Session) => void }) {
  const username = useSignal(suggested && USERNAME.test(suggested) ? suggested : "");
  const failure = useSignal(ticket ? "" : "This link has no sign-in ticket; start the sign-in again.");
  const busy = useSignal(false);
  const onSubmit = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const name = username.value.trim();
    if (!USERNAME.test(name)) {
      failure.value = "A username is 3–32 letters, digits or _.";
      return;
    }
    busy.value = true;
    failure.value = "";
    try {
      onSignedIn(await completeOAuth(ticket, name));
    } catch (err) {
      failure.value = err instanceof ParleyError && err.code === "conflict" ? `${name} is taken; choose another.` : errorText(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <main class="sign-in" data-testid="choose-username-view" aria-labelledby="choose-title">
      <form class="card stack" onSubmit={onSubmit} noValidate>
        <h1 id="choose-title">Choose your username</h1>
        <p class="muted">Others find you by it; it cannot be changed later.</p>
        <label for="choose-username">Username</label>
        <input
          id="choose-username"
          autoFocus
          required
          minLength={3}
          maxLength={32}
          autocomplete="username"
          value={username.value}
          onInput={(e) => (username.value = e.currentTarget.value)}
          aria-describedby="choose-hint choose-error"
        />
        <p id="choose-hint" class="hint">
          3–32 letters, digits or _.
        </p>
        <button type="submit" class="primary" disabled={busy.value || !ticket}>
          Continue
        </button>
        <p id="choose-error" class="error" role="alert">
          {failure.value}
        </p>
        <a href="#/sign-in">Back to sign-in</a>
      </form>
    </main>
  );
}
