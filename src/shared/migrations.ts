/**
 * Numbered, append-only schema migrations for an actor's SQLite storage.
 * Run from the constructor under `blockConcurrencyWhile`, so no request sees
 * a half-migrated schema. Each migration runs in its own transaction together
 * with the row that records it: a crash leaves it either applied or not.
 * Never edit or reorder a shipped migration; add the next number.
 */
export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export function runMigrations(storage: DurableObjectStorage, migrations: readonly Migration[]): number {
  const sql = storage.sql;
  sql.exec(
    "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  const row = sql.exec<{ id: number | null }>("SELECT max(id) AS id FROM _migrations").one();
  const current = row.id ?? 0;
  for (const m of migrations) {
    if (m.id <= current) continue;
    storage.transactionSync(() => {
      sql.exec(m.sql);
      sql.exec("INSERT INTO _migrations (id, name, applied_at) VALUES (?, ?, ?)", m.id, m.name, Date.now());
    });
  }
  return migrations.at(-1)?.id ?? current;
}
