/**
 * The operator's screens (docs/protocol.md §22.14, §22.15, §22.18), at
 * `#/admin/…`: reports (open or resolved; one report with the reported
 * message in its context, resolve, suspend or reinstate the user, delete
 * the message), bots (create with the token shown once, rotate, revoke),
 * webhook endpoints (create, deliveries, replay of failed ones) and the
 * counters.
 *
 * The app learns whether the user is an operator by asking one operator
 * route (`GET /v1/admin/bots`) once per sign-in: the engine answers anyone
 * else 404, as for a route that does not exist, so nothing is revealed and
 * nothing added to the API. The screens are shown only to operators, and
 * every call they make is authorized by the engine again (decision 0034).
 */
import { signal, useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect, useRef } from "preact/hooks";
import type { Message } from "../../src/index.ts";
import { isNotFound } from "../api/http.ts";
import * as api from "../api/integrations.ts";
import { errorText, type Chat } from "../chat.ts";
import { longTime } from "../format.ts";
import type { AdminSection } from "../route.ts";
import { askConfirm, narrow, route } from "../ui-state.ts";
import { BotBadge } from "./BotBadge.tsx";
import { Icon } from "./icons.tsx";
import { copyText } from "./Invite.tsx";

/** Whether the signed-in user is an operator: undefined until asked, per user id. */
const operatorOf = signal<ReadonlyMap<string, boolean>>(new Map());
const asked = new Set<string>();

function probeOperator(chat: Chat): void {
  if (asked.has(chat.userId)) return;
  asked.add(chat.userId);
  const set = (yes: boolean) => (operatorOf.value = new Map(operatorOf.value).set(chat.userId, yes));
  api.bots().then(
    () => set(true),
    (err) => {
      set(false);
      // Anything but "no such route" (offline, a 5xx) may be asked again on the next sign-in.
      if (!isNotFound(err)) asked.delete(chat.userId);
    },
  );
}

export function isOperator(chat: Chat): boolean {
  return operatorOf.value.get(chat.userId) === true;
}

/** The sidebar's link to the operator's screens; nothing for anyone else. */
export function OperatorLink({ chat }: { chat: Chat }) {
  useEffect(() => probeOperator(chat), [chat]);
  if (!isOperator(chat)) return null;
  const current = route.value.name === "admin";
  return (
    <a class={`button${current ? " current" : ""}`} href="#/admin/reports" data-testid="operator-link" aria-current={current ? "page" : undefined}>
      Operator
    </a>
  );
}

const SECTIONS: Array<{ section: AdminSection; label: string }> = [
  { section: "reports", label: "Reports" },
  { section: "bots", label: "Bots" },
  { section: "webhooks", label: "Webhooks" },
  { section: "metrics", label: "Counters" },
];

export function AdminView({ chat, section, id }: { chat: Chat; section: AdminSection; id?: string }) {
  useEffect(() => probeOperator(chat), [chat]);
  const known = operatorOf.value.get(chat.userId);
  return (
    <section class="page admin" aria-labelledby="admin-title" data-testid="admin-view" data-section={section}>
      <header class="page-header">
        {narrow.value && (
          <a class="icon-button back" href="#/" aria-label="Back to conversations">
            <Icon name="back" />
          </a>
        )}
        <h2 id="admin-title">Operator</h2>
      </header>
      {known === false ? (
        <p class="placeholder" data-testid="admin-refused">
          These screens are for the operators of this server.
        </p>
      ) : known === undefined ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <nav class="tabs" aria-label="Operator sections">
            {SECTIONS.map((s) => (
              <a key={s.section} class={`button${s.section === section ? " current" : ""}`} href={`#/admin/${s.section}`} aria-current={s.section === section ? "page" : undefined}>
                {s.label}
              </a>
            ))}
          </nav>
          {section === "reports" ? (
            id ? <ReportDetail chat={chat} id={id} /> : <Reports />
          ) : section === "bots" ? (
            <Bots />
          ) : section === "webhooks" ? (
            id ? <Deliveries id={id} /> : <Webhooks />
          ) : (
            <Metrics />
          )}
        </>
      )}
    </section>
  );
}

/** Runs an action, putting its error (if any) in the signal. */
async function attempt(error: { value: string }, what: () => Promise<unknown>): Promise<boolean> {
  error.value = "";
  try {
    await what();
    return true;
  } catch (err) {
    error.value = errorText(err);
    return false;
  }
}

function ErrorLine({ error, testId }: { error: { value: string }; testId?: string }) {
  return (
    <p class="error" role="alert" data-testid={testId}>
      {error.value}
    </p>
  );
}

// --- reports -----------------------------------------------------------------

function Reports() {
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

function ReportDetail({ chat, id }: { chat: Chat; id: string }) {
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

// --- bots --------------------------------------------------------------------

/** A secret shown once (a bot token, a webhook secret), with a copy button. */
function Secret({ label, value, testId }: { label: string; value: string; testId: string }) {
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

function Bots() {
  const list = useSignal<api.BotSummary[] | undefined>(undefined);
  const username = useSignal("");
  const displayName = useSignal("");
  const webhookUrl = useSignal("");
  const secrets = useSignal<{ who: string; token: string; webhookSecret?: string } | undefined>(undefined);
  const error = useSignal("");
  const load = () => attempt(error, async () => (list.value = (await api.bots()).bots));
  useEffect(() => void load(), []);
  const create = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    await attempt(error, async () => {
      const r = await api.createBot({
        username: username.value.trim(),
        ...(displayName.value.trim() ? { display_name: displayName.value.trim() } : {}),
        ...(webhookUrl.value.trim() ? { webhook_url: webhookUrl.value.trim() } : {}),
      });
      secrets.value = { who: r.bot.user.username, token: r.token, webhookSecret: r.webhook_secret };
      username.value = displayName.value = webhookUrl.value = "";
      await load();
    });
  };
  const rotate = (b: api.BotSummary) =>
    askConfirm({
      title: `New token for ${b.username}?`,
      text: "The old token stops working at once.",
      confirm: "Make a new token",
      onConfirm: () => void attempt(error, async () => (secrets.value = { who: b.username, token: (await api.rotateBotToken(b.user_id)).token })),
    });
  const revoke = (b: api.BotSummary) =>
    askConfirm({
      title: `Revoke ${b.username}'s token?`,
      text: "The bot can no longer call the API until you make it a new token.",
      confirm: "Revoke",
      danger: true,
      onConfirm: async () => {
        if (await attempt(error, () => api.revokeBotToken(b.user_id))) secrets.value = undefined;
      },
    });
  return (
    <section class="admin-section" aria-labelledby="bots-title" data-testid="admin-bots">
      <h3 id="bots-title">Bots</h3>
      <form class="admin-form" onSubmit={(e) => void create(e)}>
        <label for="bot-username">
          Username
          <input id="bot-username" required minLength={3} maxLength={32} value={username.value} onInput={(e) => (username.value = e.currentTarget.value)} />
        </label>
        <label for="bot-display-name">
          Display name (optional)
          <input id="bot-display-name" maxLength={64} value={displayName.value} onInput={(e) => (displayName.value = e.currentTarget.value)} />
        </label>
        <label for="bot-webhook">
          Webhook URL (optional)
          <input id="bot-webhook" type="url" maxLength={2000} value={webhookUrl.value} onInput={(e) => (webhookUrl.value = e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" data-testid="bot-create">
          Create bot
        </button>
      </form>
      {secrets.value && (
        <div class="secrets" data-testid="bot-secrets">
          <p>
            For <strong>{secrets.value.who}</strong>:
          </p>
          <Secret label="Bot token" value={secrets.value.token} testId="bot-token" />
          {secrets.value.webhookSecret && <Secret label="Webhook signing secret" value={secrets.value.webhookSecret} testId="bot-webhook-secret" />}
        </div>
      )}
      {list.value?.length === 0 && <p class="muted">No bots yet.</p>}
      {list.value && list.value.length > 0 && (
        <ul class="admin-list" data-testid="bot-list">
          {list.value.map((b) => (
            <li key={b.user_id} class="admin-item row" data-testid="bot-item" data-user-id={b.user_id}>
              <span class="grow">
                <strong>{b.username}</strong> <BotBadge bot /> <span class="muted small">created {longTime(b.created_at)}</span>
              </span>
              <button type="button" class="small" onClick={() => rotate(b)}>
                New token
              </button>
              <button type="button" class="small danger" onClick={() => revoke(b)}>
                Revoke token
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorLine error={error} testId="bots-error" />
    </section>
  );
}

// --- webhooks ------------------------------------------------------------------

function Webhooks() {
  const list = useSignal<api.Webhook[] | undefined>(undefined);
  const url = useSignal("");
  const events = useSignal<ReadonlySet<string>>(new Set(["message.created"]));
  const secret = useSignal<string | undefined>(undefined);
  const error = useSignal("");
  const load = () => attempt(error, async () => (list.value = (await api.webhooks()).webhooks));
  useEffect(() => void load(), []);
  const create = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (events.value.size === 0) {
      error.value = "Pick at least one event.";
      return;
    }
    await attempt(error, async () => {
      const r = await api.createWebhook(url.value.trim(), [...events.value]);
      secret.value = r.secret;
      url.value = "";
      await load();
    });
  };
  const toggle = (ev: string, on: boolean) => {
    const next = new Set(events.value);
    if (on) next.add(ev);
    else next.delete(ev);
    events.value = next;
  };
  const remove = (w: api.Webhook) =>
    askConfirm({
      title: "Delete this endpoint?",
      text: `${w.url} gets no more events.`,
      confirm: "Delete",
      danger: true,
      onConfirm: () => void attempt(error, async () => (await api.deleteWebhook(w.id), await load())),
    });
  return (
    <section class="admin-section" aria-labelledby="webhooks-title" data-testid="admin-webhooks">
      <h3 id="webhooks-title">Webhook endpoints</h3>
      <form class="admin-form" onSubmit={(e) => void create(e)}>
        <label for="webhook-url">
          URL
          <input id="webhook-url" type="url" required maxLength={2000} value={url.value} onInput={(e) => (url.value = e.currentTarget.value)} />
        </label>
        <fieldset>
          <legend>Events</legend>
          {api.WEBHOOK_EVENTS.map((ev) => (
            <label key={ev} class="check">
              <input type="checkbox" checked={events.value.has(ev)} onChange={(e) => toggle(ev, e.currentTarget.checked)} /> {ev}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary" data-testid="webhook-create">
          Add endpoint
        </button>
      </form>
      {secret.value && <Secret label="Signing secret" value={secret.value} testId="webhook-secret" />}
      {list.value?.length === 0 && <p class="muted">No endpoints yet.</p>}
      {list.value && list.value.length > 0 && (
        <ul class="admin-list" data-testid="webhook-list">
          {list.value.map((w) => (
            <li key={w.id} class="admin-item row" data-testid="webhook-item" data-webhook-id={w.id}>
              <span class="grow">
                <strong class="break">{w.url}</strong> <span class="muted small">{w.events.join(", ")}</span>
              </span>
              <a class="button small" href={`#/admin/webhooks/${encodeURIComponent(w.id)}`}>
                Deliveries
              </a>
              <button type="button" class="small danger" onClick={() => remove(w)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorLine error={error} testId="webhooks-error" />
    </section>
  );
}

function Deliveries({ id }: { id: string }) {
  const status = useSignal<api.Delivery["status"] | "">("");
  const list = useSignal<api.Delivery[] | undefined>(undefined);
  const error = useSignal("");
  const done = useSignal("");
  const load = () => attempt(error, async () => (list.value = (await api.deliveries(id, status.value || undefined)).deliveries));
  useEffect(() => void load(), [id, status.value]);
  const replayAll = () =>
    void attempt(error, async () => {
      const r = await api.replayFailed(id);
      done.value = `${r.replayed} sent again.`;
      await load();
    });
  const replay = (d: api.Delivery) =>
    void attempt(error, async () => {
      await api.replayDelivery(id, d.id);
      done.value = "Sent again.";
      await load();
    });
  return (
    <section class="admin-section" aria-labelledby="deliveries-title" data-testid="admin-deliveries">
      <a href="#/admin/webhooks">← All endpoints</a>
      <div class="row">
        <h3 id="deliveries-title" class="grow">
          Deliveries
        </h3>
        <label for="delivery-status">
          Show
          <select id="delivery-status" value={status.value} onChange={(e) => (status.value = e.currentTarget.value as api.Delivery["status"] | "")}>
            <option value="">all</option>
            <option value="pending">pending</option>
            <option value="delivered">delivered</option>
            <option value="failed">failed</option>
          </select>
        </label>
        <button type="button" class="small" data-testid="replay-failed" onClick={replayAll}>
          Send every failed one again
        </button>
      </div>
      {list.value?.length === 0 && <p class="muted">No deliveries.</p>}
      {list.value && list.value.length > 0 && (
        <div class="table-wrap">
          <table data-testid="delivery-table">
            <caption class="visually-hidden">Deliveries of this endpoint, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Tries</th>
                <th scope="col">Last answer</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.value.map((d) => (
                <tr key={d.id} data-testid="delivery" data-status={d.status}>
                  <td>{d.type}</td>
                  <td>{d.status}</td>
                  <td>{d.attempts}</td>
                  <td>{d.last_status ?? d.last_error ?? ""}</td>
                  <td>{longTime(d.created_at)}</td>
                  <td>
                    {d.status !== "pending" && (
                      <button type="button" class="small" data-testid="replay" onClick={() => replay(d)}>
                        Send again
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted" role="status">
        {done.value}
      </p>
      <ErrorLine error={error} />
    </section>
  );
}

// --- counters ------------------------------------------------------------------

function Metrics() {
  const m = useSignal<api.Metrics | undefined>(undefined);
  const error = useSignal("");
  const load = () => attempt(error, async () => (m.value = await api.metrics()));
  useEffect(() => void load(), []);
  const rows = (o: Record<string, number>) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));
  return (
    <section class="admin-section" aria-labelledby="metrics-title" data-testid="admin-metrics">
      <div class="row">
        <h3 id="metrics-title" class="grow">
          Counters
        </h3>
        <button type="button" class="small" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {m.value && (
        <>
          <p class="muted small">
            As of {longTime(m.value.at)}. {m.value.analytics_engine ? "Also sent to Workers Analytics Engine." : "Workers Analytics Engine is not bound: these are the local sums."}
          </p>
          <div class="table-wrap">
            <table data-testid="metrics-table">
              <caption class="visually-hidden">Counters and gauges</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Kind</th>
                  <th scope="col" class="num">
                    Value
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows(m.value.counters).map(([k, v]) => (
                  <tr key={`c${k}`} data-testid="metric" data-name={k}>
                    <th scope="row">{k}</th>
                    <td>counter</td>
                    <td class="num">{v}</td>
                  </tr>
                ))}
                {rows(m.value.gauges).map(([k, v]) => (
                  <tr key={`g${k}`} data-testid="metric" data-name={k}>
                    <th scope="row">{k}</th>
                    <td>gauge</td>
                    <td class="num">{v}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <ErrorLine error={error} />
    </section>
  );
}
