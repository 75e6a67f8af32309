/** Reporting a person or a message for review (`POST /v1/reports`). */
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import { report } from "../api/rest.ts";
import { errorText } from "../chat.ts";
import { Dialog } from "./common.tsx";

export type ReportTargetInfo = { kind: "user"; username: string } | { kind: "message"; conversation_id: string; seq: number; sender: string };

export function ReportDialog({ target, onClose }: { target: ReportTargetInfo; onClose: () => void }) {
  const reason = useSignal("");
  const details = useSignal("");
  const state = useSignal<"idle" | "busy" | "done">("idle");
  const error = useSignal("");
  const submit = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (reason.value.trim() === "") {
      error.value = "Say briefly what is wrong.";
      return;
    }
    state.value = "busy";
    try {
      await report(target.kind === "user" ? target : { kind: "message", conversation_id: target.conversation_id, seq: target.seq }, reason.value.trim(), details.value.trim() || undefined);
      state.value = "done";
    } catch (err) {
      state.value = "idle";
      error.value = errorText(err);
    }
  };
  const what = target.kind === "user" ? target.username : `a message from ${target.sender}`;
  return (
    <Dialog title={`Report ${what}`} onClose={onClose} testId="report-dialog">
      {state.value === "done" ? (
        <div class="stack">
          <p role="status" data-testid="report-done">
            Thank you. The report was sent for review.
          </p>
          <button type="button" class="primary" onClick={onClose}>
            Close
          </button>
        </div>
      ) : (
        <form class="stack" onSubmit={submit} noValidate>
          <label for="report-reason">Reason</label>
          <input id="report-reason" required maxLength={200} placeholder="e.g. spam, abuse" value={reason.value} onInput={(e) => (reason.value = e.currentTarget.value)} />
          <label for="report-details">Details (optional)</label>
          <textarea id="report-details" rows={3} maxLength={2000} value={details.value} onInput={(e) => (details.value = e.currentTarget.value)} />
          <button type="submit" class="primary danger" disabled={state.value === "busy"}>
            Send report
          </button>
          <p class="error" role="alert">
            {error.value}
          </p>
        </form>
      )}
    </Dialog>
  );
}
