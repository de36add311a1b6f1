import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// D1 holds metadata only. No table has a column that can carry image bytes: images live in the
// bucket, and `images.key` says where.

const createdAt = () =>
  integer("created_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    keyHash: text("key_hash").notNull(),
    keyPrefix: text("key_prefix").notNull(),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at", { mode: "number" }),
  },
  (t) => [uniqueIndex("api_keys_key_hash").on(t.keyHash)],
);

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    type: text("type", { enum: ["text-to-image", "style-transfer"] }).notNull(),
    status: text("status", {
      enum: ["queued", "running", "completed", "failed", "canceled", "timed_out"],
    }).notNull(),
    progress: integer("progress").notNull().default(0),
    error: text("error"),
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    expectedImages: integer("expected_images").notNull(),
    runpodJobId: text("runpod_job_id"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
    completedAt: integer("completed_at", { mode: "number" }),
    deadlineAt: integer("deadline_at", { mode: "number" }).notNull(),
  },
  (t) => [
    index("jobs_owner_created").on(t.owner, t.createdAt, t.id),
    uniqueIndex("jobs_owner_idempotency").on(t.owner, t.idempotencyKey),
  ],
);

export const images = sqliteTable(
  "images",
  {
    id: text("id").primaryKey(),
    jobId: text("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    index: integer("idx").notNull(),
    key: text("key").notNull(),
    size: integer("size").notNull(),
    contentType: text("content_type").notNull(),
    width: integer("width"),
    height: integer("height"),
    sha256: text("sha256"),
    source: text("source", { enum: ["handler", "legacy-bytes", "runpod", "save-route"] }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("images_job_index").on(t.jobId, t.index)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type ImageRow = typeof images.$inferSelect;
export type JobType = JobRow["type"];
export type JobStatus = JobRow["status"];
