/** The operator's counters and gauges, as the engine sums them. */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import * as api from "../../api/integrations.ts";
import { longTime } from "../../format.ts";
import { attempt, ErrorLine } from "./shared.tsx";

export function Metrics() {
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
                {(["counter", "gauge"] as const).flatMap((kind) =>
                  rows(kind === "counter" ? m.value!.counters : m.value!.gauges).map(([k, v]) => (
                    <tr key={`${kind}:${k}`} data-testid="metric" data-name={k}>
                      <th scope="row">{k}</th>
                      <td>{kind}</td>
                      <td class="num">{v}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          </div>
        </>
      )}
      <ErrorLine error={error} />
    </section>
  );
}
