/**
 * The bench's wrangler config (test/bench/floor/wrangler.toml) is a copy of
 * the shipped wrangler.toml plus the floor. A copy drifts: when the engine
 * gains a var, a binding or a migration, Parley would run in the bench
 * without it and fail in ways that look like its own bugs. So before the
 * engine starts, every entry of the shipped file must be found, identical,
 * in the bench file — except `name`, `main` and `[assets]`, which differ on
 * purpose (paths are relative to each file; the bench adds a route).
 *
 * A deliberately small reader: `[table]`, `[[array.of.tables]]` and
 * single-line `key = value` — what wrangler.toml uses. A line it cannot read
 * is compared as text, so nothing is silently skipped.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../support/engine.ts";

export const BENCH_WRANGLER_CONFIG = "test/bench/floor/wrangler.toml";
const SHIPPED = "wrangler.toml";
/** Top-level keys and tables that the bench config sets differently on purpose. */
const OWN = new Set(["name", "main", "assets"]);

interface Entry {
  table: string;
  values: Map<string, string>;
}

/** What the bench config lacks or has differently; empty when it is in step with wrangler.toml. */
export function configDrift(): string[] {
  const shipped = read(join(ROOT, SHIPPED));
  const bench = read(join(ROOT, BENCH_WRANGLER_CONFIG));
  const problems: string[] = [];
  for (const entry of shipped) {
    if (OWN.has(entry.table)) continue;
    const candidates = bench.filter((b) => b.table === entry.table);
    if (entry.table === "" || !entry.table.startsWith("[")) {
      // A plain table (top level, [vars], [observability]): each key must match.
      for (const [key, value] of entry.values) {
        if (entry.table === "" && OWN.has(key)) continue;
        const found = candidates.find((b) => b.values.has(key))?.values.get(key);
        if (found !== value) problems.push(`${entry.table || "top level"}: ${key} = ${value}${found === undefined ? " is missing" : ` (bench has ${found})`}`);
      }
    } else if (!candidates.some((b) => same(b.values, entry.values))) {
      // An array of tables ([[durable_objects.bindings]], [[migrations]], …): the whole entry must be there.
      problems.push(`${entry.table}: { ${[...entry.values].map(([k, v]) => `${k} = ${v}`).join(", ")} } is missing`);
    }
  }
  return problems;
}

function read(path: string): Entry[] {
  const entries: Entry[] = [{ table: "", values: new Map() }];
  let current = entries[0]!;
  let unreadable = 0;
  for (const raw of readFileSync(path, "utf8").split("\n")) {
    const line = stripComment(raw).trim();
    if (!line) continue;
    const header = /^(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?$/.exec(line);
    if (header) {
      // Arrays of tables keep their brackets in the name, so the two kinds stay apart.
      const table = header[1] === "[[" ? `[[${header[2]}]]` : header[2]!;
      const existing = header[1] === "[" ? entries.find((e) => e.table === table) : undefined;
      current = existing ?? { table, values: new Map() };
      if (!existing) entries.push(current);
      continue;
    }
    const kv = /^([A-Za-z0-9_.-]+|"[^"]*")\s*=\s*(.+)$/.exec(line);
    if (kv) current.values.set(kv[1]!, normalise(kv[2]!));
    else current.values.set(`<line ${++unreadable}>`, line);
  }
  return entries;
}

function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === "#" && !quoted) return line.slice(0, i);
  }
  return line;
}

/** Spacing inside arrays does not matter: `["a","b"]` equals `[ "a", "b" ]`. */
function normalise(value: string): string {
  return value.trim().replace(/\s*([[\],])\s*/g, "$1");
}

function same(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}
