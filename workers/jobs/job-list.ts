import { and, desc, eq, gte, inArray, lt } from "drizzle-orm";
import type { JobList, ListJobsQuery } from "../../schema/contract/index.js";
import { images, jobs, type ImageRow } from "../../schema/d1.js";
import { database } from "../db.js";
import { afterCursor, pageOf } from "../services/page-cursor.js";
import { createObjectStore } from "../services/storage.js";
import { imageUrl, jobFields, jobWebhook } from "./job-view.js";

/**
 * The caller's jobs, newest first; the cursor is the last job of the previous page. A listing is
 * light (a page of 100 eight-image jobs stays well under 150 KB): images carry their id, index and
 * dimensions, and only `include=urls` presigns (one signature per image).
 */
export async function listJobViews(env: Env, owner: string, query: ListJobsQuery): Promise<JobList> {
  const db = database(env);
  const conditions = [
    eq(jobs.owner, owner),
    query.status ? eq(jobs.status, query.status) : undefined,
    query.type ? eq(jobs.type, query.type) : undefined,
    query.created_after ? gte(jobs.createdAt, Date.parse(query.created_after)) : undefined,
    query.created_before ? lt(jobs.createdAt, Date.parse(query.created_before)) : undefined,
    afterCursor(jobs, query.cursor),
  ];
  const read = await db.select().from(jobs).where(and(...conditions)).orderBy(desc(jobs.createdAt), desc(jobs.id)).limit(query.limit + 1);
  const { rows: pageJobs, nextCursor } = pageOf(read, query.limit);
  const rows = pageJobs.length ? await db.select().from(images).where(inArray(images.jobId, pageJobs.map((job) => job.id))) : [];
  const byJob = new Map<string, ImageRow[]>();
  for (const row of rows.sort((a, b) => a.index - b.index)) byJob.set(row.jobId, [...(byJob.get(row.jobId) ?? []), row]);

  const store = createObjectStore(env);
  const withUrls = query.include === "urls";
  const listed = await Promise.all(
    pageJobs.map(async (job) => {
      const jobImages = byJob.get(job.id) ?? [];
      return {
        ...jobFields(job, jobImages),
        images: await Promise.all(
          jobImages.map(async (image) => ({
            id: image.id, index: image.index, width: image.width, height: image.height,
            ...(withUrls ? { url: await imageUrl(env, store, image) } : {}),
          })),
        ),
        webhook: jobWebhook(job),
      };
    }),
  );
  return { jobs: listed, nextCursor };
}
