import { and, eq, lt, sql } from "drizzle-orm";
import { uploads } from "../../schema/d1.js";
import { database } from "../db.js";
import { settings } from "../env.js";
import { createObjectStore } from "./storage.js";

export type UploadRecord = { key: string; owner: string; apiKeyId: string | null; contentType: string; contentLength: number | null };

/** Remembers an upload that `POST /api/uploads` handed out, so the sweep can delete it if no job uses it. */
export async function recordUpload(env: Env, upload: UploadRecord, now = Date.now()): Promise<void> {
  await database(env).insert(uploads).values({ ...upload, createdAt: now }).onConflictDoNothing();
}

/** Uploads swept per run: a cron run stays short; the next one takes the rest. */
const SWEEP_BATCH = 100;

/**
 * Deletes uploads that no job used, `UPLOAD_RETENTION_SECONDS` after they were handed out: the
 * object first, then its record (a failed delete is tried again on the next run). A job uses an
 * upload when its input names it as `style_image` or `content_image`.
 */
export async function sweepUnusedUploads(env: Env, now = Date.now()): Promise<{ deleted: number; failed: number }> {
  const db = database(env);
  const cutoff = now - settings(env).uploadRetentionMs;
  const unused = await db
    .select({ key: uploads.key })
    .from(uploads)
    .where(
      and(
        lt(uploads.createdAt, cutoff),
        sql`NOT EXISTS (SELECT 1 FROM jobs j WHERE j.owner = ${uploads.owner} AND j.created_at >= ${uploads.createdAt} AND j.type = 'style-transfer'
            AND (json_extract(j.params, '$.style_image') = ${uploads.key} OR json_extract(j.params, '$.content_image') = ${uploads.key}))`,
      ),
    )
    .orderBy(uploads.createdAt)
    .limit(SWEEP_BATCH);
  const store = createObjectStore(env);
  let deleted = 0;
  let failed = 0;
  for (const { key } of unused) {
    try {
      await store.delete(key);
      await db.delete(uploads).where(eq(uploads.key, key));
      deleted++;
    } catch (error) {
      console.error(`upload retention: could not delete ${key}`, error instanceof Error ? error.message : error);
      failed++;
    }
  }
  return { deleted, failed };
}
