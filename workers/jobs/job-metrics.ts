import type { JobMetrics } from "../../schema/contract/index.js";
import type { ImageRow, JobRow } from "../../schema/d1.js";

const between = (from: number | null, to: number | null) => (from === null || to === null ? null : Math.max(0, to - from));

/** The job's timings, from the times the JobAssembler recorded; null where a moment has not come yet. */
export function jobMetrics(job: JobRow, images: Pick<ImageRow, "deliveredAt">[]): JobMetrics {
  const delivered = images.map((image) => image.deliveredAt).filter((at): at is number => at !== null);
  const lastImageAt = delivered.length ? Math.max(...delivered) : null;
  return {
    queue_ms: between(job.createdAt, job.startedAt),
    run_ms: between(job.startedAt, lastImageAt),
    total_ms: between(job.createdAt, job.completedAt),
    runpod_delay_ms: job.runpodDelayMs,
    runpod_execution_ms: job.runpodExecutionMs,
  };
}
