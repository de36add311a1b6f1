// The JobAssembler's own SQLite layout, upgraded in place: an object written by an older
// deploy runs the steps it has not run yet. Layout documented in docs/storage-layout.md.
const STEPS: string[][] = [
  [
    `CREATE TABLE job (
       id TEXT PRIMARY KEY, owner TEXT NOT NULL, type TEXT NOT NULL, prefix TEXT NOT NULL,
       expected INTEGER NOT NULL, deadline_at INTEGER NOT NULL, runpod_job_id TEXT,
       status TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0, error TEXT,
       completed_at INTEGER, synced INTEGER NOT NULL DEFAULT 0)`,
    `CREATE TABLE images (
       idx INTEGER PRIMARY KEY, key TEXT NOT NULL, size INTEGER, content_type TEXT,
       width INTEGER, height INTEGER, sha256 TEXT, source TEXT NOT NULL,
       state TEXT NOT NULL, synced INTEGER NOT NULL DEFAULT 0, last_error TEXT)`,
    `CREATE TABLE pieces (
       idx INTEGER NOT NULL, chunk INTEGER NOT NULL, chunks INTEGER NOT NULL,
       content_type TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (idx, chunk))`,
    `CREATE TABLE seen_webhooks (webhook_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`,
    `CREATE TABLE completion (id INTEGER PRIMARY KEY CHECK (id = 1), indices TEXT)`,
    `CREATE TABLE event_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, data TEXT NOT NULL)`,
    `CREATE TABLE retry (id INTEGER PRIMARY KEY CHECK (id = 1), attempts INTEGER NOT NULL, due_at INTEGER NOT NULL, last_error TEXT)`,
  ],
  [
    // One alarm drives this table of due work (schedule.ts); it replaces the single retry row.
    `CREATE TABLE work (name TEXT PRIMARY KEY, due_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)`,
    `INSERT INTO work (name, due_at, attempts, last_error) SELECT 'settle', due_at, attempts, last_error FROM retry`,
    `DROP TABLE retry`,
    `ALTER TABLE job ADD COLUMN dispatch_started_at INTEGER`,
  ],
  [
    // The client's own webhook (which events, JSON; NULL: none), the job's metrics, and the outbox of client webhooks.
    `ALTER TABLE job ADD COLUMN webhook_events TEXT`,
    `ALTER TABLE job ADD COLUMN started_at INTEGER`,
    `ALTER TABLE job ADD COLUMN runpod_delay_ms INTEGER`,
    `ALTER TABLE job ADD COLUMN runpod_execution_ms INTEGER`,
    `ALTER TABLE images ADD COLUMN delivered_at INTEGER`,
    `CREATE TABLE client_webhooks (
       seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL, idx INTEGER,
       attempts INTEGER NOT NULL DEFAULT 0, first_attempt_at INTEGER, due_at INTEGER NOT NULL)`,
  ],
  [
    // What D1 holds is known in memory only (state.ts): one SQLite commit per delivery, not two.
    `ALTER TABLE job DROP COLUMN synced`,
    `ALTER TABLE images DROP COLUMN synced`,
  ],
];

/** False for an object that never held a job, or whose storage the retention cleared: it has no tables. */
export function hasTables(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").toArray().length > 0;
}

export function migrate(sql: SqlStorage) {
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const row = sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
  const current = row?.version ?? 0;
  for (let step = current; step < STEPS.length; step++) {
    for (const statement of STEPS[step]!) sql.exec(statement);
  }
  if (!row) sql.exec("INSERT INTO schema_version (version) VALUES (?)", STEPS.length);
  else if (current !== STEPS.length) sql.exec("UPDATE schema_version SET version = ?", STEPS.length);
}
