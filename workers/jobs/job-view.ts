import { and, desc, eq } from "drizzle-orm";
import { DEFAULT_CLIENT_WEBHOOK_EVENTS, isFinalStatus, type Job, type JobImage, type JobSummary } from "../../schema/contract/index.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { images, jobs, webhookDeliveries, type ImageRow, type JobRow, type WebhookDeliveryRow } from "../../schema/d1.js";
import { database } from "../db.js";
import { settings } from "../env.js";
import { notFound } from "../errors.js";
import { signImageUrl } from "../services/image-url-signature.js";
import { iso, isoOrNull } from "../services/iso-time.js";
import { createObjectStore, type ObjectStore } from "../services/storage.js";
import { jobMetrics } from "./job-metrics.js";

/** How many of a job's latest webhook delivery attempts its view shows. */
const SHOWN_DELIVERY_ATTEMPTS = 50;

export async function imageUrl(env: Env, store: ObjectStore, image: Pick<ImageRow, "id" | "key">): Promise<string> {
  const lifetime = settings(env).displayUrlSeconds;
  if (!store.capabilities.canPresign) {
    return signImageUrl(env.WEBHOOK_SIGNING_KEY, settings(env).publicBaseUrl, image.id, lifetime);
  }
  return store.presignGet(image.key, { expiresInSeconds: lifetime });
}

/** The fields a job view and a listing share. */
export function jobFields(job: JobRow, rows: Pick<ImageRow, "deliveredAt">[]) {
  return {
    id: job.id, type: job.type, status: job.status, progress: job.progress, error: job.error, input: job.params,
    createdAt: iso(job.createdAt), updatedAt: iso(job.updatedAt), startedAt: isoOrNull(job.startedAt), completedAt: isoOrNull(job.completedAt),
    metrics: jobMetrics(job, rows),
  };
}

/** The job's own webhook, as a view and a listing show it; null when the job has none. */
export function jobWebhook(job: JobRow): JobSummary["webhook"] {
  return job.webhookUrl ? { url: job.webhookUrl, events: job.webhookEvents ?? DEFAULT_CLIENT_WEBHOOK_EVENTS } : null;
}

async function toJobView(env: Env, store: ObjectStore, job: JobRow, rows: ImageRow[], deliveries: WebhookDeliveryRow[]): Promise<Job> {
  const jobImages: JobImage[] = await Promise.all(
    [...rows]
      .sort((a, b) => a.index - b.index)
      .map(async (image) => ({
        id: image.id, index: image.index, key: image.key, url: await imageUrl(env, store, image),
        size: image.size, contentType: image.contentType, width: image.width, height: image.height,
        sha256: image.sha256, deliveredAt: isoOrNull(image.deliveredAt),
      })),
  );
  const webhook = jobWebhook(job);
  return {
    ...jobFields(job, rows),
    images: jobImages,
    webhook: webhook && {
      ...webhook,
      deliveries: deliveries.map((attempt) => ({
        webhookId: attempt.webhookId, event: attempt.event, attempt: attempt.attempt, attemptedAt: iso(attempt.attemptedAt),
        status: attempt.status, durationMs: attempt.durationMs, outcome: attempt.outcome, error: attempt.error,
      })),
    },
  };
}

/** The owner's job, or 404: another owner's job does not exist for this caller. */
export async function getOwnedJob(env: Env, owner: string, id: string): Promise<JobRow> {
  const [job] = await database(env).select().from(jobs).where(and(eq(jobs.id, id), eq(jobs.owner, owner)));
  if (!job) throw notFound("job");
  return job;
}

/** The owner's job as it is now: D1 trails a running job's JobAssembler by up to a second, so it is asked to write first. */
export async function getJobView(env: Env, owner: string, id: string): Promise<Job> {
  const job = await getOwnedJob(env, owner, id);
  if (isFinalStatus(job.status) || !(await assemblerFor(env, id).writeD1())) return jobView(env, job);
  return jobView(env, await getOwnedJob(env, owner, id));
}

/** The job as `GET /api/jobs/:id` shows it, from its D1 row. */
export async function jobView(env: Env, job: JobRow): Promise<Job> {
  const db = database(env);
  const [rows, latest] = await Promise.all([
    db.select().from(images).where(eq(images.jobId, job.id)),
    job.webhookUrl
      ? db.select().from(webhookDeliveries).where(eq(webhookDeliveries.jobId, job.id)).orderBy(desc(webhookDeliveries.id)).limit(SHOWN_DELIVERY_ATTEMPTS)
      : Promise.resolve([]),
  ]);
  return toJobView(env, createObjectStore(env), job, rows, latest.reverse());
}
