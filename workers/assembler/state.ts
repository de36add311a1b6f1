import { isFinalStatus, type ClientWebhookEvent, type ImageSource, type JobStatus } from "../../schema/contract/index.js";
import type { JobType } from "../../schema/d1.js";
import { hasTables, migrate } from "./sqlite-schema.js";

/**
 * The JobAssembler's state (layout: sqlite-schema.ts), loaded from SQLite once and kept in memory;
 * every change is written to SQLite first and then to memory, so a delivery reads nothing back. A
 * transaction that throws is rolled back in SQLite, and the memory is loaded again from it
 * (JobAssembler.transaction). Only the legacy pieces and the event log are read from SQLite.
 *
 * What D1 holds is known in memory only, as the records last written there (records are replaced,
 * never changed in place): an object that wakes up writes D1 once more, which is idempotent, rather
 * than writing a flag to SQLite after every D1 write.
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

export type LoggedEvent = { seq: number; type: string; data: string };

export type NewJob = Pick<JobRecord, "id" | "owner" | "type" | "prefix" | "expected" | "deadline_at" | "runpod_job_id" | "dispatch_started_at" | "webhook_events">;
export type JobChanges = Partial<
  Pick<JobRecord, "status" | "progress" | "error" | "completed_at" | "runpod_job_id" | "dispatch_started_at" | "started_at" | "runpod_delay_ms" | "runpod_execution_ms">
>;

export const isOver = (job: Pick<JobRecord, "status">) => isFinalStatus(job.status);

export class AssemblerState {
  private current: JobRecord | null = null;
  private wanted: ClientWebhookEvent[] = [];
  private readonly imageRows = new Map<number, ImageRecord>();
  private completionIndices: number[] | null | undefined = undefined;
  private readonly seen = new Set<string>();
  private readonly outbox: ClientWebhookRow[] = [];
  private lastSeq = 0;
  private d1Job: JobRecord | null = null;
  private readonly d1Images = new Map<number, ImageRecord>();

  constructor(private readonly sql: SqlStorage) {}

  /** Reads every table into memory (an object written by an older deploy is upgraded first); an object without tables holds no job. */
  load() {
    this.current = null;
    this.wanted = [];
    this.imageRows.clear();
    this.completionIndices = undefined;
    this.seen.clear();
    this.outbox.length = 0;
    this.lastSeq = 0;
    this.d1Job = null;
    this.d1Images.clear();
    if (!hasTables(this.sql)) return;
    migrate(this.sql);
    this.current = this.sql.exec<JobRecord>("SELECT * FROM job").toArray()[0] ?? null;
    this.wanted = this.current?.webhook_events ? (JSON.parse(this.current.webhook_events) as ClientWebhookEvent[]) : [];
    for (const image of this.sql.exec<ImageRecord>("SELECT * FROM images").toArray()) this.imageRows.set(image.idx, image);
    const completion = this.sql.exec<{ indices: string | null }>("SELECT indices FROM completion").toArray()[0];
    if (completion) this.completionIndices = completion.indices === null ? null : (JSON.parse(completion.indices) as number[]);
    for (const { webhook_id } of this.sql.exec<{ webhook_id: string }>("SELECT webhook_id FROM seen_webhooks")) this.seen.add(webhook_id);
    this.outbox.push(...this.sql.exec<ClientWebhookRow>("SELECT * FROM client_webhooks ORDER BY seq").toArray());
    this.lastSeq = this.sql.exec<{ seq: number | null }>("SELECT MAX(seq) AS seq FROM event_log").one().seq ?? 0;
  }

  job(): Readonly<JobRecord> | null {
    return this.current;
  }

  createJob(job: NewJob) {
    if (!hasTables(this.sql)) migrate(this.sql);
    this.sql.exec(
      `INSERT OR IGNORE INTO job (id, owner, type, prefix, expected, deadline_at, runpod_job_id, dispatch_started_at, webhook_events, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued')`,
      job.id, job.owner, job.type, job.prefix, job.expected, job.deadline_at, job.runpod_job_id, job.dispatch_started_at, job.webhook_events,
    );
    this.load();
    // The Worker recorded the job in D1, queued, before opening its JobAssembler.
    this.d1Job = this.current;
  }

  /** Writes only what changes. */
  updateJob(changes: JobChanges) {
    const job = this.current!;
    const entries = Object.entries(changes).filter(([column, value]) => job[column as keyof JobChanges] !== value);
    if (entries.length === 0) return;
    this.sql.exec(`UPDATE job SET ${entries.map(([column]) => `${column} = ?`).join(", ")}`, ...entries.map(([, value]) => value));
    this.current = { ...job, ...Object.fromEntries(entries) };
  }

  images(): ImageRecord[] {
    return [...this.imageRows.values()].sort((a, b) => a.idx - b.idx);
  }

  image(index: number): Readonly<ImageRecord> | null {
    return this.imageRows.get(index) ?? null;
  }

  putImage(image: Omit<ImageRecord, "last_error">) {
    this.sql.exec(
      `INSERT INTO images (idx, key, size, content_type, width, height, sha256, source, state, delivered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (idx) DO UPDATE SET key = excluded.key, size = excluded.size,
         content_type = excluded.content_type, width = excluded.width, height = excluded.height,
         sha256 = excluded.sha256, source = excluded.source, state = excluded.state,
         delivered_at = excluded.delivered_at, last_error = NULL`,
      image.idx, image.key, image.size, image.content_type, image.width, image.height, image.sha256, image.source, image.state, image.delivered_at,
    );
    this.imageRows.set(image.idx, { ...image, last_error: null });
  }

  deleteImage(index: number) {
    this.sql.exec("DELETE FROM images WHERE idx = ?", index);
    this.imageRows.delete(index);
  }

  /** Forgets every image not yet verified: a job that ended records nothing more. */
  dropUnverifiedImages() {
    const dropped = this.images().filter((image) => image.state !== "verified");
    if (dropped.length === 0) return;
    this.sql.exec("DELETE FROM images WHERE state != 'verified'");
    this.sql.exec("DELETE FROM pieces WHERE idx NOT IN (SELECT idx FROM images)");
    for (const image of dropped) this.imageRows.delete(image.idx);
  }

  noteImageError(index: number, error: string) {
    this.sql.exec("UPDATE images SET last_error = ? WHERE idx = ?", error, index);
    const image = this.imageRows.get(index);
    if (image) this.imageRows.set(index, { ...image, last_error: error });
  }

  /** D1 lacks something the JobAssembler recorded: the job's latest state, or a verified image. */
  d1Lags(): boolean {
    if (this.current !== this.d1Job) return true;
    return this.unsyncedImages().length > 0;
  }

  /** Verified images D1 has not got. */
  unsyncedImages(): ImageRecord[] {
    return this.images().filter((image) => image.state === "verified" && this.d1Images.get(image.idx) !== image);
  }

  /** D1 got these records (what `job()` and `unsyncedImages()` gave before the write). */
  writtenToD1(job: Readonly<JobRecord>, images: readonly ImageRecord[]) {
    this.d1Job = job;
    for (const image of images) this.d1Images.set(image.idx, image);
  }

  hasSeen(webhookId: string): boolean {
    return this.seen.has(webhookId);
  }

  markSeen(webhookId: string) {
    this.sql.exec("INSERT OR IGNORE INTO seen_webhooks (webhook_id, at) VALUES (?, ?)", webhookId, Date.now());
    this.seen.add(webhookId);
  }

  /** The indices the completion listed; undefined before any completion, null for "all expected". */
  completion(): readonly number[] | null | undefined {
    return this.completionIndices;
  }

  setCompletion(indices: number[] | null) {
    this.sql.exec(
      "INSERT INTO completion (id, indices) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET indices = excluded.indices",
      indices === null ? null : JSON.stringify(indices),
    );
    this.completionIndices = indices;
  }

  appendEvent(type: string, data: unknown): number {
    const seq = this.lastSeq + 1;
    this.sql.exec("INSERT INTO event_log (seq, type, data) VALUES (?, ?, ?)", seq, type, JSON.stringify(data));
    this.lastSeq = seq;
    return seq;
  }

  /** The last event's seq: nothing is read back unless a live stream is behind it. */
  lastEventSeq(): number {
    return this.lastSeq;
  }

  eventsAfter(seq: number): LoggedEvent[] {
    if (!this.current || seq >= this.lastSeq) return [];
    return this.sql.exec<LoggedEvent>("SELECT * FROM event_log WHERE seq > ? ORDER BY seq", seq).toArray();
  }

  /** Queues a webhook to the client's endpoint, when the job asked for `event`. */
  queueClientWebhook(event: ClientWebhookEvent, index: number | null = null, now = Date.now()) {
    if (!this.wanted.includes(event)) return;
    const row = this.sql
      .exec<ClientWebhookRow>("INSERT INTO client_webhooks (event, idx, due_at) VALUES (?, ?, ?) RETURNING *", event, index, now)
      .one();
    this.outbox.push(row);
  }

  /** The client's webhook to send next (the oldest), or null. */
  nextClientWebhook(): Readonly<ClientWebhookRow> | null {
    return this.outbox[0] ?? null;
  }

  /** Counts a failed attempt and sets when the next one is due. */
  clientWebhookRetry(seq: number, dueAt: number, now = Date.now()) {
    this.sql.exec(
      "UPDATE client_webhooks SET attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, ?), due_at = ? WHERE seq = ?",
      now, dueAt, seq,
    );
    const entry = this.outbox.find((row) => row.seq === seq)!;
    Object.assign(entry, { attempts: entry.attempts + 1, first_attempt_at: entry.first_attempt_at ?? now, due_at: dueAt });
  }

  /** Delivered, refused for good, or given up. The next one was due when it was queued: it goes at once. */
  clientWebhookDone(seq: number) {
    this.sql.exec("DELETE FROM client_webhooks WHERE seq = ?", seq);
    const at = this.outbox.findIndex((row) => row.seq === seq);
    if (at >= 0) this.outbox.splice(at, 1);
  }
}
