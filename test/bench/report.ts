/** The printed table and the JSON results file. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Row } from "./context.ts";
import type { Summary } from "./stats.ts";

const W = { scenario: 12, measure: 40, n: 6, ms: 9 };

/** A fixed-width table: latency rows show n and percentiles in ms, value rows span those columns. */
export function renderTable(rows: readonly Row[]): string {
  const statsWidth = W.n + 4 * W.ms;
  const head =
    "scenario".padEnd(W.scenario) + "measure".padEnd(W.measure) + "n".padStart(W.n) +
    ["p50", "p90", "p99", "max"].map((h) => h.padStart(W.ms)).join("") + "  notes";
  const lines = [head, "-".repeat(head.length + 30)];
  for (const row of rows) {
    const left = row.scenario.padEnd(W.scenario) + fit(row.measure, W.measure - 1).padEnd(W.measure);
    let stats: string;
    if (row.summary) stats = summaryCells(row.summary);
    else if (row.value !== undefined) stats = row.value.length <= statsWidth ? row.value.padStart(statsWidth) : row.value;
    else stats = "(no samples)".padStart(statsWidth);
    lines.push(`${left}${stats}${row.note ? `  ${row.note}` : ""}`);
  }
  return lines.join("\n");
}

function summaryCells(s: Summary): string {
  return String(s.n).padStart(W.n) + [s.p50, s.p90, s.p99, s.max].map((v) => v.toFixed(2).padStart(W.ms)).join("");
}

function fit(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** Writes `<dir>/<timestamp>.json` and `<dir>/latest.json`; returns the first path. */
export function writeResults(dir: string, startedAt: Date, results: unknown): string {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  // ISO 8601 with ":" replaced by "-", so the name is valid on every file system.
  const file = join(out, `${startedAt.toISOString().replace(/:/g, "-")}.json`);
  const text = `${JSON.stringify(results, null, 2)}\n`;
  writeFileSync(file, text);
  writeFileSync(join(out, "latest.json"), text);
  return file;
}
