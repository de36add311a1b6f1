/**
 * The JobAssembler's due work: one row per kind of work (and per RunPod run to cancel), one alarm
 * for the earliest. Modelled on cloudflare/agents' scheduler: each task's failure is counted on
 * its row and retried with backoff; the alarm is always set again afterwards.
 */
export type WorkName = "settle" | "deadline" | "completion_grace" | "dispatch_unknown" | "retention" | `cancel:${string}`;

export type WorkRow = { name: WorkName; due_at: number; attempts: number; last_error: string | null };

const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 5 * 60_000;

/** Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function nextAttemptAt(attempts: number, now = Date.now()): number {
  const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempts, 20));
  return now + delay / 2 + Math.random() * (delay / 2);
}

export class Schedule {
  constructor(private readonly sql: SqlStorage) {}

  get(name: WorkName): WorkRow | null {
    return this.sql.exec<WorkRow>("SELECT * FROM work WHERE name = ?", name).toArray()[0] ?? null;
  }

  /** Work to run at `at`; a row already there keeps its attempts and moves to the earlier time. */
  due(name: WorkName, at: number) {
    this.sql.exec(
      `INSERT INTO work (name, due_at) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET due_at = MIN(due_at, excluded.due_at)`,
      name, at,
    );
  }

  /** Counts a failed attempt and moves the work to its next backoff time; returns the attempts so far. */
  retry(name: WorkName, error: string, now = Date.now()): number {
    const attempts = (this.get(name)?.attempts ?? 0) + 1;
    this.sql.exec(
      `INSERT INTO work (name, due_at, attempts, last_error) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET due_at = excluded.due_at, attempts = excluded.attempts, last_error = excluded.last_error`,
      name, nextAttemptAt(attempts, now), attempts, error,
    );
    return attempts;
  }

  done(name: WorkName) {
    this.sql.exec("DELETE FROM work WHERE name = ?", name);
  }

  dueBy(now: number): WorkRow[] {
    return this.sql.exec<WorkRow>("SELECT * FROM work WHERE due_at <= ? ORDER BY due_at", now).toArray();
  }

  all(): WorkRow[] {
    return this.sql.exec<WorkRow>("SELECT * FROM work ORDER BY due_at").toArray();
  }

  next(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(due_at) AS at FROM work").one().at;
  }
}
