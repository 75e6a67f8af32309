/** What the operator's screens share: running an action with its error shown, and a secret shown once. */
import { useSignal } from "@preact/signals";
import { useRef } from "preact/hooks";
import { errorText } from "../../chat.ts";
import { copyText } from "../Invite.tsx";

/** Runs an action, putting its error (if any) in the signal. */
export async function attempt(error: { value: string }, what: () => Promise<unknown>): Promise<boolean> {
  error.value = "";
  try {
    await what();
    return true;
  } catch (err) {
    error.value = errorText(err);
    return false;
  }
}

export function ErrorLine({ error, testId }: { error: { value: string }; testId?: string }) {
  return (
    <p class="error" role="alert" data-testid={testId}>
      {error.value}
    </p>
  );
}

/** A secret shown once (a bot token, a webhook secret), with a copy button. */
export function Secret({ label, value, testId }: { label: string; value: string; testId: string }) {
  const status = useSignal("");
  const field = useRef<HTMLInputElement>(null);
  const inputId = `secret-${testId}`;
  return (
    <div class="row new-secret">
      <label for={inputId} class="grow">
        {label} (shown once: copy it now)
        <input id={inputId} readOnly value={value} ref={field} data-testid={testId} />
      </label>
      <button type="button" onClick={() => void copyText(value, field.current).then((ok) => (status.value = ok ? "Copied." : "Select it and copy."))}>
        Copy
      </button>
      <span class="muted small" role="status">
        {status.value}
      </span>
    </div>
  );
}
