import { isFinalStatus, type ImageSource, type JobStatus } from "../../schema/contract/index.js";
import type { JobType } from "../../schema/d1.js";

/**
 * Typed access to the JobAssembler's SQLite tables (layout: sqlite-schema.ts): the one interface
 * the rest of the JobAssembler reads and writes its state through.
 */

export type { ImageSource };

export type JobRecord = {
  id: string;
  owner: string;
  type: JobType;
  prefix: string;
  expected: number;
  deadline_at: number;
  runpod_job_id: string | null;
  /** When the Worker set out to call RunPod's /run; null before any dispatch. */
  dispatch_started_at: number | null;
  status: JobStatus;
  progress: number;
  error: string | null;
  completed_at: number | null;
  synced: number;
};

export type ImageState = "pending_verify" | "pending_upload" | "verified";

export type ImageRecord = {
  idx: number;
  key: string;
  size: number | null;
  content_type: string | null;
  width: number | null;
  height: number | null;
  sha256: string | null;
  source: ImageSource;
  state: ImageState;
  synced: number;
  last_error: string | null;
};

export type NewJob = Pick<JobRecord, "id" | "owner" | "type" | "prefix" | "expected" | "deadline_at" | "runpod_job_id" | "dispatch_started_at">;
export type JobChanges = Partial<Pick<JobRecord, "status" | "progress" | "error" | "completed_at" | "runpod_job_id" | "dispatch_started_at">>;

export const isOver = (job: Pick<JobRecord, "status">) => isFinalStatus(job.status);

export class AssemblerState {
  constructor(private readonly sql: SqlStorage) {}

  job(): JobRecord | null {
    return this.sql.exec<JobRecord>("SELECT * FROM job").toArray()[0] ?? null;
  }

  createJob(job: NewJob) {
    this.sql.exec(
      `INSERT OR IGNORE INTO job (id, owner, type, prefix, expected, deadline_at, runpod_job_id, dispatch_started_at, status, synced)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 1)`,
      job.id, job.owner, job.type, job.prefix, job.expected, job.deadline_at, job.runpod_job_id, job.dispatch_started_at,
    );
  }

  updateJob(changes: JobChanges) {
    const entries = Object.entries(changes);
    if (entries.length === 0) return;
    const assignments = entries.map(([column]) => `${column} = ?`).join(", ");
    this.sql.exec(`UPDATE job SET ${assignments}, synced = 0`, ...entries.map(([, value]) => value));
  }

  markJobSynced() {
    this.sql.exec("UPDATE job SET synced = 1");
  }

  images(): ImageRecord[] {
    return this.sql.exec<ImageRecord>("SELECT * FROM images ORDER BY idx").toArray();
  }

  image(index: number): ImageRecord | null {
    return this.sql.exec<ImageRecord>("SELECT * FROM images WHERE idx = ?", index).toArray()[0] ?? null;
  }

  putImage(image: Omit<ImageRecord, "synced" | "last_error">) {
    this.sql.exec(
      `INSERT INTO images (idx, key, size, content_type, width, height, sha256, source, state, synced)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT (idx) DO UPDATE SET key = excluded.key, size = excluded.size,
         content_type = excluded.content_type, width = excluded.width, height = excluded.height,
         sha256 = excluded.sha256, source = excluded.source, state = excluded.state, synced = 0, last_error = NULL`,
      image.idx, image.key, image.size, image.content_type, image.width, image.height, image.sha256, image.source, image.state,
    );
  }

  deleteImage(index: number) {
    this.sql.exec("DELETE FROM images WHERE idx = ?", index);
  }

  /** Forgets every image not yet verified: a job that ended records nothing more. */
  dropUnverifiedImages(): number[] {
    const dropped = this.sql
      .exec<{ idx: number }>("DELETE FROM images WHERE state != 'verified' RETURNING idx")
      .toArray()
      .map((row) => row.idx);
    for (const index of dropped) this.sql.exec("DELETE FROM pieces WHERE idx = ?", index);
    return dropped;
  }

  noteImageError(index: number, error: string) {
    this.sql.exec("UPDATE images SET last_error = ? WHERE idx = ?", error, index);
  }

  markImagesSynced(indices: number[]) {
    for (const index of indices) this.sql.exec("UPDATE images SET synced = 1 WHERE idx = ?", index);
  }

  hasSeen(webhookId: string): boolean {
    return this.sql.exec("SELECT 1 FROM seen_webhooks WHERE webhook_id = ?", webhookId).toArray().length > 0;
  }

  markSeen(webhookId: string) {
    this.sql.exec("INSERT OR IGNORE INTO seen_webhooks (webhook_id, at) VALUES (?, ?)", webhookId, Date.now());
  }

  /** The indices the completion listed; undefined before any completion, null for "all expected". */
  completion(): number[] | null | undefined {
    const row = this.sql.exec<{ indices: string | null }>("SELECT indices FROM completion").toArray()[0];
    if (!row) return undefined;
    return row.indices === null ? null : (JSON.parse(row.indices) as number[]);
  }

  setCompletion(indices: number[] | null) {
    this.sql.exec(
      "INSERT INTO completion (id, indices) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET indices = excluded.indices",
      indices === null ? null : JSON.stringify(indices),
    );
  }

  appendEvent(type: string, data: unknown): number {
    const row = this.sql
      .exec<{ seq: number }>("INSERT INTO event_log (type, data) VALUES (?, ?) RETURNING seq", type, JSON.stringify(data))
      .one();
    return row.seq;
  }

  eventsAfter(seq: number): { seq: number; type: string; data: string }[] {
    return this.sql.exec<{ seq: number; type: string; data: string }>("SELECT * FROM event_log WHERE seq > ? ORDER BY seq", seq).toArray();
  }
}
