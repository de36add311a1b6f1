import { isOver, type AssemblerState, type ImageRecord } from "./state.js";

export const imageRowId = (jobId: string, index: number) => `img_${jobId.replace(/^job_/, "")}_${index}`;

// The statements are written out (columns as in schema/d1.ts) rather than built per call: this
// runs for every change a job sees. D1 binds at most 100 parameters per statement, so a batch of
// images is cut into INSERTs of IMAGES_PER_INSERT rows.
const IMAGE_COLUMNS = "id, job_id, idx, key, size, content_type, width, height, sha256, source, delivered_at";
const IMAGE_PARAMETERS = 11;
const D1_MAX_PARAMETERS = 100;
const IMAGES_PER_INSERT = Math.floor(D1_MAX_PARAMETERS / IMAGE_PARAMETERS);
const IMAGE_ROW = `(${Array.from({ length: IMAGE_PARAMETERS }, () => "?").join(", ")})`;
const JOB_UPDATE = `UPDATE jobs SET status = ?, progress = ?, error = ?, runpod_job_id = ?, started_at = ?, completed_at = ?,
  runpod_delay_ms = ?, runpod_execution_ms = ?, updated_at = ? WHERE id = ?`;

type VerifiedImage = ImageRecord & { size: number };

function insertImages(db: D1Database, jobId: string, rows: VerifiedImage[]): D1PreparedStatement {
  const values = rows.flatMap((image) => [
    imageRowId(jobId, image.idx), jobId, image.idx, image.key, image.size, image.content_type ?? "image/png",
    image.width, image.height, image.sha256, image.source, image.delivered_at,
  ]);
  return db.prepare(`INSERT INTO images (${IMAGE_COLUMNS}) VALUES ${rows.map(() => IMAGE_ROW).join(", ")} ON CONFLICT DO NOTHING`).bind(...values);
}

/**
 * While a job runs, D1 (listings; a job view asks the JobAssembler to write first) trails its
 * JobAssembler by about this: the changes of that time go to D1 together, one batch for many
 * deliveries, written when an in-memory timer fires (wakeup.ts), so a delivery never writes the
 * alarm for it. The handler's answer never waits for D1; the JobAssembler keeps the changes
 * durably until D1 has them.
 */
const D1_WRITE_DELAY_MS = 1_000;

/**
 * The timer is lost if the object restarts; the alarm then writes D1 by this long after the write
 * was due. The alarm is set to it once and left there while D1 is written batch after batch.
 */
export const D1_BACKSTOP_MS = 30_000;

/**
 * When D1 gets what the JobAssembler recorded. At once what only D1 can tell: a final status
 * (the job's `end` event, `Prefer: wait` and every later read go by D1), image URLs when the
 * Worker serves them from D1 (a store that cannot presign), and what the client's webhooks wait
 * to send (their body is the job as D1 has it); everything else within D1_WRITE_DELAY_MS. The
 * time is kept in memory: an object that wakes up writes D1 once more. Once a write fails, the
 * settle work's backoff decides when D1 is tried again.
 */
export class D1Writes {
  private dueAt: number | null = null;
  private backstop: number | null = null;
  private lastError: string | null = null;

  constructor(
    private readonly state: AssemblerState,
    private readonly urlsNeedD1: boolean,
    private readonly delayMs = D1_WRITE_DELAY_MS,
  ) {}

  /** The state was (re)loaded: what D1 holds is unknown, so it is written at once. */
  loaded() {
    this.lastError = null;
    this.backstop = null;
    this.dueAt = this.state.job() ? Date.now() : null;
  }

  /** Why the last write failed, while D1 still lacks something; null otherwise. */
  failing(): string | null {
    return this.state.d1Lags() ? this.lastError : null;
  }

  /** When D1 is to be written next; null while it holds everything, or while a failed write waits for its retry. */
  nextAt(): number | null {
    if (!this.state.d1Lags() || this.failing()) return (this.dueAt = null);
    const now = Date.now();
    const at = isOver(this.state.job()!) || this.urlsNeedD1 || this.state.nextClientWebhook() ? now : now + this.delayMs;
    return (this.dueAt = Math.min(this.dueAt ?? at, at));
  }

  /**
   * What the alarm must cover of D1, given `nextAt()`: a write due now, should the caller not make
   * it; while a write waits for the timer, the backstop, kept until the alarm fires so that later
   * batches leave the alarm where it is.
   */
  alarmAt(writeAt: number | null): number | null {
    const job = this.state.job();
    const now = Date.now();
    // A final status is written at once; should that fail, the settle work's retry sets the alarm.
    if (!job || isOver(job)) this.backstop = null;
    else if (writeAt !== null && writeAt > now) this.backstop ??= writeAt + D1_BACKSTOP_MS;
    return writeAt !== null && writeAt <= now ? writeAt : this.backstop;
  }

  /** The alarm fired: the backstop it was set for, if that time has come, is spent. */
  alarmFired(now = Date.now()) {
    if (this.backstop !== null && this.backstop <= now) this.backstop = null;
  }

  /** Writes D1 when it is due (never while a failed write waits for its retry). */
  async writeIfDue(env: Env): Promise<void> {
    const at = this.nextAt();
    if (at !== null && at <= Date.now()) await this.writeNow(env);
  }

  /** Writes D1 whenever it lags, due or not (the alarm's pass: it may be the backstop of a lost timer); never while a failed write waits for its retry. */
  async writeIfLagging(env: Env): Promise<void> {
    if (this.nextAt() !== null) await this.writeNow(env);
  }

  /** Writes what D1 lacks now; returns why it failed, or null. */
  async writeNow(env: Env): Promise<string | null> {
    try {
      await syncToD1(env, this.state);
      this.lastError = null;
    } catch (error) {
      this.lastError = `D1: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.nextAt();
    return this.failing();
  }
}

/**
 * Writes what the D1 copy lacks (verified images, then the job) in one batch, so a reader never
 * sees a completed job without its images. Idempotent: safe to run again after a failure.
 */
async function syncToD1(env: Env, state: AssemblerState): Promise<void> {
  const job = state.job();
  if (!job || !state.d1Lags()) return;
  const pending = state.unsyncedImages() as VerifiedImage[];
  const statements: D1PreparedStatement[] = [];
  for (let start = 0; start < pending.length; start += IMAGES_PER_INSERT) {
    statements.push(insertImages(env.DB, job.id, pending.slice(start, start + IMAGES_PER_INSERT)));
  }
  statements.push(
    env.DB.prepare(JOB_UPDATE).bind(
      job.status, Math.round(job.progress), job.error, job.runpod_job_id, job.started_at, job.completed_at,
      job.runpod_delay_ms, job.runpod_execution_ms, Date.now(), job.id,
    ),
  );
  await env.DB.batch(statements);
  state.writtenToD1(job, pending);
}
