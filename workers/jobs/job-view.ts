import { and, desc, eq, inArray, lt, or } from "drizzle-orm";
import type { Job, ListJobsQuery } from "../../schema/contract/index.js";
import { images, jobs, type ImageRow, type JobRow } from "../../schema/d1.js";
import { database } from "../db.js";
import { settings } from "../env.js";
import { ApiError, notFound } from "../errors.js";
import { signImageUrl } from "../services/image-url-signature.js";
import { createObjectStore, type ObjectStore } from "../services/storage.js";

export const DISPLAY_URL_SECONDS = 300;
const iso = (ms: number) => new Date(ms).toISOString();

export async function imageUrl(env: Env, store: ObjectStore, image: Pick<ImageRow, "id" | "key">): Promise<string> {
  if (!store.capabilities.canPresign) {
    return signImageUrl(env.WEBHOOK_SIGNING_KEY, settings(env).publicBaseUrl, image.id, DISPLAY_URL_SECONDS);
  }
  return store.presignGet(image.key, { expiresInSeconds: DISPLAY_URL_SECONDS });
}

export async function toJobView(env: Env, store: ObjectStore, job: JobRow, rows: ImageRow[]): Promise<Job> {
  const jobImages = await Promise.all(
    rows
      .sort((a, b) => a.index - b.index)
      .map(async (image) => ({
        id: image.id, index: image.index, key: image.key, url: await imageUrl(env, store, image),
        size: image.size, contentType: image.contentType, width: image.width, height: image.height,
      })),
  );
  return {
    id: job.id, type: job.type, status: job.status, progress: job.progress, error: job.error,
    input: job.params, images: jobImages,
    createdAt: iso(job.createdAt), updatedAt: iso(job.updatedAt),
    completedAt: job.completedAt === null ? null : iso(job.completedAt),
  };
}

/** The owner's job, or 404: another owner's job does not exist for this caller. */
export async function getOwnedJob(env: Env, owner: string, id: string): Promise<JobRow> {
  const [job] = await database(env).select().from(jobs).where(and(eq(jobs.id, id), eq(jobs.owner, owner)));
  if (!job) throw notFound("job");
  return job;
}

export async function getJobView(env: Env, owner: string, id: string): Promise<Job> {
  const job = await getOwnedJob(env, owner, id);
  const rows = await database(env).select().from(images).where(eq(images.jobId, id));
  return toJobView(env, createObjectStore(env), job, rows);
}

type Cursor = { createdAt: number; id: string };

const encodeCursor = (job: JobRow) => btoa(JSON.stringify({ createdAt: job.createdAt, id: job.id }));

function decodeCursor(cursor: string): Cursor {
  try {
    const parsed = JSON.parse(atob(cursor)) as Cursor;
    if (typeof parsed.createdAt === "number" && typeof parsed.id === "string") return parsed;
  } catch {
    // reported below
  }
  throw new ApiError("validation_failed", "cursor is not valid", [{ path: "cursor", message: "use nextCursor from a previous page" }]);
}

/** Newest first; the cursor is the last job of the previous page (time, then id, for ties). */
export async function listJobViews(env: Env, owner: string, query: ListJobsQuery) {
  const db = database(env);
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const conditions = [
    eq(jobs.owner, owner),
    query.status ? eq(jobs.status, query.status) : undefined,
    query.type ? eq(jobs.type, query.type) : undefined,
    after ? or(lt(jobs.createdAt, after.createdAt), and(eq(jobs.createdAt, after.createdAt), lt(jobs.id, after.id))) : undefined,
  ];
  const page = await db
    .select()
    .from(jobs)
    .where(and(...conditions))
    .orderBy(desc(jobs.createdAt), desc(jobs.id))
    .limit(query.limit + 1);
  const pageJobs = page.slice(0, query.limit);
  const rows = pageJobs.length
    ? await db.select().from(images).where(inArray(images.jobId, pageJobs.map((job) => job.id)))
    : [];
  const store = createObjectStore(env);
  return {
    jobs: await Promise.all(pageJobs.map((job) => toJobView(env, store, job, rows.filter((row) => row.jobId === job.id)))),
    nextCursor: page.length > query.limit ? encodeCursor(pageJobs[pageJobs.length - 1]!) : null,
  };
}
