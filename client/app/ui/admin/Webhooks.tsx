/** The operator's webhook endpoints: create and delete them, list one's deliveries and send failed ones again. */
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect } from "preact/hooks";
import * as api from "../../api/integrations.ts";
import { longTime } from "../../format.ts";
import { askConfirm } from "../../ui-state.ts";
import { attempt, ErrorLine, Secret } from "./shared.tsx";

export function Webhooks() {
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

export function Deliveries({ id }: { id: string }) {
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
