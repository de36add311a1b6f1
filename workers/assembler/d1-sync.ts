import { eq, sql } from "drizzle-orm";
import { images, jobs } from "../../schema/d1.js";
import { database } from "../db.js";
import type { AssemblerState, ImageRecord } from "./state.js";

export const imageRowId = (jobId: string, index: number) => `img_${jobId.replace(/^job_/, "")}_${index}`;

/**
 * Writes what the D1 copy lacks (verified images, then the job's status) in one batch, so a
 * reader never sees a completed job without its images. Idempotent: safe to run again after a failure.
 */
export async function syncToD1(env: Env, state: AssemblerState): Promise<void> {
  const job = state.job();
  if (!job) return;
  const pending = state.images().filter((image): image is ImageRecord & { size: number } => image.state === "verified" && !image.synced);
  if (!pending.length && job.synced) return;

  const db = database(env);
  const now = Date.now();
  const statements = pending.map((image) =>
    db
      .insert(images)
      .values({
        id: imageRowId(job.id, image.idx),
        jobId: job.id,
        index: image.idx,
        key: image.key,
        size: image.size,
        contentType: image.content_type ?? "image/png",
        width: image.width,
        height: image.height,
        sha256: image.sha256,
        source: image.source,
        deliveredAt: image.delivered_at,
      })
      .onConflictDoNothing(),
  );
  const jobUpdate = db
    .update(jobs)
    .set({
      status: job.status,
      progress: Math.round(job.progress),
      error: job.error,
      runpodJobId: job.runpod_job_id,
      startedAt: job.started_at,
      completedAt: job.completed_at,
      runpodDelayMs: job.runpod_delay_ms,
      runpodExecutionMs: job.runpod_execution_ms,
      updatedAt: now,
    })
    .where(eq(jobs.id, job.id));
  const touch = db.update(jobs).set({ updatedAt: sql`${now}` }).where(eq(jobs.id, job.id));
  await db.batch([...statements, job.synced ? touch : jobUpdate] as unknown as Parameters<typeof db.batch>[0]);
  state.markImagesSynced(pending.map((image) => image.idx));
  state.markJobSynced();
}
