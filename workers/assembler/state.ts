import { isFinalStatus, type ClientWebhookEvent, type ImageSource, type JobStatus } from "../../schema/contract/index.js";
import type { JobType } from "../../schema/d1.js";
import { hasTables, migrate } from "./sqlite-schema.js";

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
  /** The client's webhook events (JSON), null when the job has no `webhook`. */
  webhook_events: string | null;
  /** When the handler first reported: the job became running. */
  started_at: number | null;
  runpod_delay_ms: number | null;
  runpod_execution_ms: number | null;
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
  /** When the announcement (or the legacy bytes) reached the Worker. */
  delivered_at: number | null;
  synced: number;
  last_error: string | null;
};

/** A webhook to the client's own endpoint, waiting in the outbox: sent in `seq` order, one at a time. */
export type ClientWebhookRow = {
  seq: number;
  event: ClientWebhookEvent;
  idx: number | null;
  attempts: number;
  first_attempt_at: number | null;
  due_at: number;
};

export type NewJob = Pick<JobRecord, "id" | "owner" | "type" | "prefix" | "expected" | "deadline_at" | "runpod_job_id" | "dispatch_started_at" | "webhook_events">;
export type JobChanges = Partial<
  Pick<JobRecord, "status" | "progress" | "error" | "completed_at" | "runpod_job_id" | "dispatch_started_at" | "started_at" | "runpod_delay_ms" | "runpod_execution_ms">
>;

export const isOver = (job: Pick<JobRecord, "status">) => isFinalStatus(job.status);

export class AssemblerState {
  /** The object holds tables: false until its job opens, and again once the retention cleared it. */
  private present: boolean;

  constructor(private readonly sql: SqlStorage) {
    this.present = hasTables(sql);
  }

  job(): JobRecord | null {
    if (!this.present) return null;
    return this.sql.exec<JobRecord>("SELECT * FROM job").toArray()[0] ?? null;
  }

  createJob(job: NewJob) {
    if (!this.present) migrate(this.sql);
    this.present = true;
    this.sql.exec(
      `INSERT OR IGNORE INTO job (id, owner, type, prefix, expected, deadline_at, runpod_job_id, dispatch_started_at, webhook_events, status, synced)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 1)`,
      job.id, job.owner, job.type, job.prefix, job.expected, job.deadline_at, job.runpod_job_id, job.dispatch_started_at, job.webhook_events,
    );
  }

  /** The storage was deleted (`deleteAll`): the object holds no job any more. */
  cleared() {
    this.present = false;
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
      `INSERT INTO images (idx, key, size, content_type, width, height, sha256, source, state, delivered_at, synced)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
       ON CONFLICT (idx) DO UPDATE SET key = excluded.key, size = excluded.size,
         content_type = excluded.content_type, width = excluded.width, height = excluded.height,
         sha256 = excluded.sha256, source = excluded.source, state = excluded.state,
         delivered_at = excluded.delivered_at, synced = 0, last_error = NULL`,
      image.idx, image.key, image.size, image.content_type, image.width, image.height, image.sha256, image.source, image.state, image.delivered_at,
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

  /** D1 lacks something the JobAssembler recorded: the job's latest state, or a verified image. */
  d1Lags(): boolean {
    if (this.job()?.synced === 0) return true;
    return this.sql.exec("SELECT 1 FROM images WHERE state = 'verified' AND synced = 0 LIMIT 1").toArray().length > 0;
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
    if (!this.present) return [];
    return this.sql.exec<{ seq: number; type: string; data: string }>("SELECT * FROM event_log WHERE seq > ? ORDER BY seq", seq).toArray();
  }

  /** Queues a webhook to the client's endpoint, when the job asked for `event`. */
  queueClientWebhook(event: ClientWebhookEvent, index: number | null = null, now = Date.now()) {
    const wanted = this.job()?.webhook_events;
    if (!wanted || !(JSON.parse(wanted) as ClientWebhookEvent[]).includes(event)) return;
    this.sql.exec("INSERT INTO client_webhooks (event, idx, due_at) VALUES (?, ?, ?)", event, index, now);
  }

  /** The client's webhook to send next (the oldest), or null. */
  nextClientWebhook(): ClientWebhookRow | null {
    if (!this.present) return null;
    return this.sql.exec<ClientWebhookRow>("SELECT * FROM client_webhooks ORDER BY seq LIMIT 1").toArray()[0] ?? null;
  }

  /** Counts a failed attempt and sets when the next one is due. */
  clientWebhookRetry(seq: number, dueAt: number, now = Date.now()) {
    this.sql.exec(
      "UPDATE client_webhooks SET attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), due_at = ? WHERE seq = ?",
      now, dueAt, seq,
    );
  }

  /** Delivered, refused for good, or given up. The next one was due when it was queued: it goes at once. */
  clientWebhookDone(seq: number) {
    this.sql.exec("DELETE FROM client_webhooks WHERE seq = ?", seq);
  }
}
