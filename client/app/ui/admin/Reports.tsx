/** The operator's reports: the open or resolved list, and one report with its message in context and the actions on it. */
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect } from "preact/hooks";
import type { Message } from "../../../src/index.ts";
import * as api from "../../api/integrations.ts";
import type { Chat } from "../../chat.ts";
import { longTime } from "../../format.ts";
import { askConfirm } from "../../ui-state.ts";
import { BotBadge } from "../BotBadge.tsx";
import { attempt, ErrorLine } from "./shared.tsx";

export function Reports() {
  const status = useSignal<"open" | "resolved">("open");
  const list = useSignal<api.Report[] | undefined>(undefined);
  const cursor = useSignal<string | undefined>(undefined);
  const error = useSignal("");
  const load = async (more = false) => {
    await attempt(error, async () => {
      const page = await api.reports(status.value, more ? cursor.value : undefined);
      list.value = more ? [...(list.value ?? []), ...page.reports] : page.reports;
      cursor.value = page.next_cursor;
    });
  };
  useEffect(() => void load(), [status.value]);
  return (
    <section class="admin-section" aria-labelledby="reports-title" data-testid="admin-reports">
      <div class="row">
        <h3 id="reports-title" class="grow">
          Reports
        </h3>
        <div class="row" role="group" aria-label="Which reports">
          {(["open", "resolved"] as const).map((s) => (
            <button key={s} type="button" class="small" aria-pressed={status.value === s} data-testid={`reports-${s}`} onClick={() => (status.value = s)}>
              {s === "open" ? "Open" : "Resolved"}
            </button>
          ))}
        </div>
      </div>
      {list.value?.length === 0 && <p class="muted">No {status.value} reports.</p>}
      {list.value && list.value.length > 0 && (
        <ul class="admin-list" data-testid="report-list">
          {list.value.map((r) => (
            <li key={r.id}>
              <a class="admin-item" href={`#/admin/reports/${encodeURIComponent(r.id)}`} data-testid="report-item" data-report-id={r.id} data-status={r.status}>
                <strong>{r.kind === "message" ? "Message" : "User"}</strong>: {r.reason}
                {r.details ? <span class="muted"> — {r.details}</span> : null}
                <span class="muted small"> · {longTime(r.created_at)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {cursor.value && (
        <button type="button" class="quiet" onClick={() => void load(true)}>
          Load more
        </button>
      )}
      <ErrorLine error={error} />
    </section>
  );
}

type Detail = Awaited<ReturnType<typeof api.reportDetail>>;

export function ReportDetail({ chat, id }: { chat: Chat; id: string }) {
  const detail = useSignal<Detail | undefined>(undefined);
  const target = useSignal<Awaited<ReturnType<typeof api.adminUser>> | undefined>(undefined);
  const reporter = useSignal<string | undefined>(undefined);
  const note = useSignal("");
  const reason = useSignal("");
  const error = useSignal("");
  const done = useSignal("");
  const load = async () => {
    await attempt(error, async () => {
      const d = await api.reportDetail(id);
      detail.value = d;
      const [t, r] = await Promise.all([api.adminUser(d.report.target_user_id), api.adminUser(d.report.reporter_id).catch(() => undefined)]);
      target.value = t;
      reporter.value = r?.user.username;
    });
  };
  useEffect(() => void load(), [id]);
  const d = detail.value;
  if (!d) {
    return (
      <section class="admin-section" data-testid="report-detail">
        <a href="#/admin/reports">← All reports</a>
        {!error.value && <p class="muted">Loading…</p>}
        <ErrorLine error={error} />
      </section>
    );
  }
  const r = d.report;
  const names = new Map(d.context?.conversation.members.map((m) => [m.user_id, m.username]) ?? []);
  const nameOf = (userId: string) => names.get(userId) ?? (userId === r.target_user_id ? target.value?.user.username : undefined) ?? userId;
  const standing = target.value?.standing;
  const targetName = target.value?.user.username ?? r.target_user_id;
  const reported = d.context?.messages.find((m) => m.seq === r.seq) ?? r.message;
  const resolve = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (await attempt(error, () => api.resolveReport(r.id, note.value.trim()))) {
      done.value = "Report resolved.";
      note.value = "";
      await load();
    }
  };
  const suspend = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    askConfirm({
      title: `Suspend ${targetName}?`,
      text: "Their open sessions are closed at once and they cannot sign in or use the app until you reinstate them.",
      confirm: "Suspend",
      danger: true,
      onConfirm: async () => {
        if (await attempt(error, () => api.suspend(r.target_user_id, reason.value.trim() || undefined))) {
          done.value = `${targetName} is suspended.`;
          reason.value = "";
          await load();
        }
      },
    });
  };
  const reinstate = async () => {
    if (await attempt(error, () => api.unsuspend(r.target_user_id))) {
      done.value = `${targetName} is reinstated.`;
      await load();
    }
  };
  const deleteMessage = () =>
    askConfirm({
      title: "Delete this message?",
      text: "It is deleted for everyone in the conversation, as if its sender had deleted it.",
      confirm: "Delete",
      danger: true,
      onConfirm: async () => {
        if (r.conversation_id && r.seq && (await attempt(error, () => api.adminDeleteMessage(r.conversation_id!, r.seq!)))) {
          done.value = "Message deleted.";
          await load();
        }
      },
    });
  return (
    <section class="admin-section" aria-labelledby="report-title" data-testid="report-detail" data-status={r.status}>
      <a href="#/admin/reports">← All reports</a>
      <h3 id="report-title">
        Report of {r.kind === "message" ? "a message" : "a user"}: {r.reason}
      </h3>
      <dl class="facts">
        <dt>Reported</dt>
        <dd data-testid="report-target">
          {targetName} <BotBadge userId={r.target_user_id} />
          {standing?.suspended ? <span class="role role-suspended"> suspended</span> : null}
        </dd>
        <dt>By</dt>
        <dd>{reporter.value ?? r.reporter_id}</dd>
        <dt>When</dt>
        <dd>{longTime(r.created_at)}</dd>
        {r.details && (
          <>
            <dt>Details</dt>
            <dd>{r.details}</dd>
          </>
        )}
        <dt>Status</dt>
        <dd data-testid="report-status">
          {r.status === "open" ? "Open" : `Resolved ${r.resolved_at ? longTime(r.resolved_at) : ""}${r.resolution_note ? `: ${r.resolution_note}` : ""}`}
        </dd>
      </dl>
      {d.context && (
        <>
          <h4 id="context-title">
            In {d.context.conversation.title ?? (d.context.conversation.kind === "direct" ? "a direct conversation" : "a group")}
          </h4>
          <ol class="context" aria-labelledby="context-title" data-testid="report-context">
            {d.context.messages.map((m: Message) => (
              <li key={m.seq} class={`context-message${m.seq === r.seq ? " reported" : ""}`} data-testid="context-message" data-seq={m.seq} data-reported={m.seq === r.seq ? "true" : undefined}>
                <span class="sender">{nameOf(m.sender_id)}</span> <BotBadge userId={m.sender_id} />
                <time class="muted small"> {longTime(m.created_at)}</time>
                {m.seq === r.seq && <strong class="reported-label"> reported</strong>}
                <div data-testid="context-body">{m.deleted_at !== undefined ? <em class="muted">Message deleted</em> : m.body}</div>
              </li>
            ))}
          </ol>
        </>
      )}
      {!d.context && reported && (
        <blockquote data-testid="report-message">{reported.deleted_at !== undefined ? "Message deleted" : reported.body}</blockquote>
      )}
      <div class="admin-actions">
        {r.kind === "message" && reported && reported.deleted_at === undefined && (
          <button type="button" class="danger" data-testid="report-delete-message" onClick={deleteMessage}>
            Delete the message
          </button>
        )}
        {standing?.suspended ? (
          <div class="row">
            <span class="grow" data-testid="standing">
              Suspended{standing.suspended_at ? ` ${longTime(standing.suspended_at)}` : ""}
              {standing.reason ? `: ${standing.reason}` : ""}
            </span>
            <button type="button" data-testid="report-unsuspend" onClick={() => void reinstate()}>
              Reinstate {targetName}
            </button>
          </div>
        ) : (
          <form class="row" onSubmit={(e) => void suspend(e)}>
            <label for="suspend-reason" class="grow">
              Reason for suspending (optional)
              <input id="suspend-reason" maxLength={500} value={reason.value} onInput={(e) => (reason.value = e.currentTarget.value)} />
            </label>
            <button type="submit" class="danger" data-testid="report-suspend" disabled={chat.userId === r.target_user_id}>
              Suspend {targetName}
            </button>
          </form>
        )}
        {r.status === "open" && (
          <form class="row" onSubmit={(e) => void resolve(e)}>
            <label for="resolve-note" class="grow">
              Resolution note
              <input id="resolve-note" required maxLength={1000} value={note.value} onInput={(e) => (note.value = e.currentTarget.value)} />
            </label>
            <button type="submit" class="primary" data-testid="report-resolve">
              Resolve
            </button>
          </form>
        )}
      </div>
      <p class="muted" role="status" data-testid="report-done">
        {done.value}
      </p>
      <ErrorLine error={error} testId="report-error" />
    </section>
  );
}
