import { hasTables } from "./sqlite-schema.js";

/**
 * The JobAssembler's due work: one row per kind of work (and per RunPod run to cancel), one alarm
 * for the earliest. Modelled on cloudflare/agents' scheduler: each task's failure is counted on
 * its row and retried with backoff; the alarm is always set again afterwards.
 */
export type WorkName = "settle" | "deadline" | "completion_grace" | "dispatch_unknown" | "retention" | `cancel:${string}`;

export type WorkRow = { name: WorkName; due_at: number; attempts: number; last_error: string | null };

const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 5 * 60_000;

/** Exponential backoff with jitter: `firstMs` doubled `doublings` times, capped at `maxMs`, then between half and all of it. */
export function backoffDelay(doublings: number, firstMs: number, maxMs: number): number {
  const delay = Math.min(maxMs, firstMs * 2 ** Math.min(doublings, 20));
  return delay / 2 + Math.random() * (delay / 2);
}

/** 1 s, 2 s, 4 s … capped at 5 minutes. */
function nextAttemptAt(attempts: number, now = Date.now()): number {
  return now + backoffDelay(attempts, BASE_DELAY_MS, MAX_DELAY_MS);
}

/** The rows are kept in memory (loaded with the state), written to SQLite first: a time already known is not written again. */
export class Schedule {
  private readonly rows = new Map<WorkName, WorkRow>();

  constructor(private readonly sql: SqlStorage) {}

  load() {
    this.rows.clear();
    if (!hasTables(this.sql)) return;
    for (const row of this.sql.exec<WorkRow>("SELECT * FROM work").toArray()) this.rows.set(row.name, row);
  }

  get(name: WorkName): Readonly<WorkRow> | null {
    return this.rows.get(name) ?? null;
  }

  /** Work to run at `at`; a row already there keeps its attempts and moves to the earlier time. */
  due(name: WorkName, at: number) {
    const row = this.rows.get(name);
    if (row && row.due_at <= at) return;
    this.sql.exec(
      `INSERT INTO work (name, due_at) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET due_at = MIN(due_at, excluded.due_at)`,
      name, at,
    );
    this.rows.set(name, row ? { ...row, due_at: at } : { name, due_at: at, attempts: 0, last_error: null });
  }

  /** Counts a failed attempt and moves the work to its next backoff time; returns the attempts so far. */
  retry(name: WorkName, error: string, now = Date.now()): number {
    const attempts = (this.rows.get(name)?.attempts ?? 0) + 1;
    const row: WorkRow = { name, due_at: nextAttemptAt(attempts, now), attempts, last_error: error };
    this.sql.exec(
      `INSERT INTO work (name, due_at, attempts, last_error) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET due_at = excluded.due_at, attempts = excluded.attempts, last_error = excluded.last_error`,
      name, row.due_at, attempts, error,
    );
    this.rows.set(name, row);
    return attempts;
  }

  done(name: WorkName) {
    if (!this.rows.has(name)) return;
    this.sql.exec("DELETE FROM work WHERE name = ?", name);
    this.rows.delete(name);
  }

  dueBy(now: number): WorkRow[] {
    return this.all().filter((row) => row.due_at <= now);
  }

  all(): WorkRow[] {
    return [...this.rows.values()].sort((a, b) => a.due_at - b.due_at);
  }

  next(): number | null {
    let next: number | null = null;
    for (const row of this.rows.values()) if (next === null || row.due_at < next) next = row.due_at;
    return next;
  }
}
