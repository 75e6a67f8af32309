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
import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { isNotFound } from "../../api/http.ts";
import * as api from "../../api/integrations.ts";
import type { Chat } from "../../chat.ts";
import type { AdminSection } from "../../route.ts";
import { route } from "../../ui-state.ts";
import { BackLink } from "../common.tsx";
import { Bots } from "./Bots.tsx";
import { Metrics } from "./Metrics.tsx";
import { ReportDetail, Reports } from "./Reports.tsx";
import { Deliveries, Webhooks } from "./Webhooks.tsx";

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
        <BackLink />
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
