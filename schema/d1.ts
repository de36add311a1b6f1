import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { IMAGE_SOURCES, JOB_STATUSES, JOB_TYPES } from "./contract/common.js";
import { CLIENT_WEBHOOK_EVENTS, type ClientWebhookEvent } from "./contract/jobs.js";

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
    name: text("name"),
    createdAt: createdAt(),
    expiresAt: integer("expires_at", { mode: "number" }),
    revokedAt: integer("revoked_at", { mode: "number" }),
    // The key's webhook signing secret is derived from the deployment's signing key and this
    // version; rotating bumps it, so D1 never holds the secret itself.
    webhookSecretVersion: integer("webhook_secret_version").notNull().default(1),
    webhookSecretRotatedAt: integer("webhook_secret_rotated_at", { mode: "number" }),
  },
  (t) => [uniqueIndex("api_keys_key_hash").on(t.keyHash), index("api_keys_owner").on(t.owner, t.createdAt)],
);

export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    owner: text("owner").notNull(),
    apiKeyId: text("api_key_id"),
    type: text("type", { enum: JOB_TYPES }).notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    progress: integer("progress").notNull().default(0),
    error: text("error"),
    params: text("params", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    expectedImages: integer("expected_images").notNull(),
    runpodJobId: text("runpod_job_id"),
    idempotencyKey: text("idempotency_key"),
    requestHash: text("request_hash"),
    webhookUrl: text("webhook_url"),
    webhookEvents: text("webhook_events", { mode: "json" }).$type<ClientWebhookEvent[]>(),
    createdAt: createdAt(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
    /** When the handler first reported (progress or an image): the end of the queue wait. */
    startedAt: integer("started_at", { mode: "number" }),
    completedAt: integer("completed_at", { mode: "number" }),
    deadlineAt: integer("deadline_at", { mode: "number" }).notNull(),
    /** RunPod's own `delayTime` and `executionTime`, when its completion webhook carried them. */
    runpodDelayMs: integer("runpod_delay_ms", { mode: "number" }),
    runpodExecutionMs: integer("runpod_execution_ms", { mode: "number" }),
  },
  (t) => [
    index("jobs_owner_created").on(t.owner, t.createdAt, t.id),
    uniqueIndex("jobs_owner_idempotency").on(t.owner, t.idempotencyKey),
    index("jobs_created").on(t.createdAt),
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
    source: text("source", { enum: IMAGE_SOURCES }).notNull(),
    createdAt: createdAt(),
    /** When the announcement reached the Worker (the handler's webhook), not when D1 got the row. */
    deliveredAt: integer("delivered_at", { mode: "number" }),
  },
  (t) => [uniqueIndex("images_job_index").on(t.jobId, t.index)],
);

/** One attempt to deliver one of Easel's webhooks to a client's own `webhook` URL. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    jobId: text("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    /** Standard Webhooks `webhook-id`: the same for every attempt of one delivery. */
    webhookId: text("webhook_id").notNull(),
    event: text("event", { enum: CLIENT_WEBHOOK_EVENTS }).notNull(),
    attempt: integer("attempt").notNull(),
    attemptedAt: integer("attempted_at", { mode: "number" }).notNull(),
    /** The receiver's HTTP status; null when no answer came (timeout, refused connection). */
    status: integer("status"),
    durationMs: integer("duration_ms").notNull(),
    outcome: text("outcome", { enum: ["delivered", "retry", "failed"] }).notNull(),
    error: text("error"),
  },
  (t) => [index("webhook_deliveries_job").on(t.jobId, t.id)],
);

/** Input images handed out by `POST /api/uploads`, so those no job used can be deleted after a while. */
export const uploads = sqliteTable(
  "uploads",
  {
    key: text("key").primaryKey(),
    owner: text("owner").notNull(),
    apiKeyId: text("api_key_id"),
    contentType: text("content_type").notNull(),
    contentLength: integer("content_length"),
    createdAt: createdAt(),
  },
  (t) => [index("uploads_created").on(t.createdAt)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type JobRow = typeof jobs.$inferSelect;
export type ImageRow = typeof images.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type UploadRow = typeof uploads.$inferSelect;
export type JobType = JobRow["type"];
export type JobStatus = JobRow["status"];
