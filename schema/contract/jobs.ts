import { z } from "zod";
import { ImageContentType, JobStatus, JobType, ObjectKey, Sha256Hex } from "./common.js";

// zod-to-openapi drops zod's multipleOf check; the metadata puts it back into /openapi.json.
const dimension = z.number().int().min(64).max(2048).multipleOf(8).meta({ multipleOf: 8 });

const generationParams = {
  prompt: z.string().trim().min(1).max(2000),
  negative_prompt: z.string().max(2000).default(""),
  width: dimension.default(1024),
  height: dimension.default(1024),
  steps: z.number().int().min(1).max(150).default(30),
  seed: z.number().int().min(0).max(4294967295).optional(),
  num_images: z.number().int().min(1).max(8).default(1),
};

export const TextToImageInput = z.strictObject(generationParams);

export const StyleTransferInput = z.strictObject({
  ...generationParams,
  prompt: z.string().trim().max(2000).default(""),
  style_image: ObjectKey,
  content_image: ObjectKey,
  strength: z.number().min(0).max(1).default(0.6),
});

/** What Easel tells a client's own `webhook` about: the handler started, an image landed, the job ended (any final status). */
export const CLIENT_WEBHOOK_EVENTS = ["start", "image", "completed"] as const;
export const ClientWebhookEvent = z.enum(CLIENT_WEBHOOK_EVENTS);
/** What a job with a `webhook` and no `webhook_events` is sent. */
export const DEFAULT_CLIENT_WEBHOOK_EVENTS: z.infer<typeof ClientWebhookEvent>[] = ["completed"];

const clientWebhook = {
  webhook: z
    .url({ protocol: /^https?$/, error: "an http(s) URL" })
    .max(2048)
    .optional()
    .describe("Your endpoint: Easel POSTs the job to it (as GET /api/jobs/{id} shows it), signed with Standard Webhooks under your key's secret (GET /api/webhooks/secret). https, or http to a loopback address on a local deployment."),
  webhook_events: z
    .array(ClientWebhookEvent)
    .min(1)
    .max(CLIENT_WEBHOOK_EVENTS.length)
    .optional()
    .describe(`Which changes are sent to \`webhook\`; default ${JSON.stringify(DEFAULT_CLIENT_WEBHOOK_EVENTS)} (completed means any final status).`),
};

export const CreateJobRequest = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("text-to-image"), input: TextToImageInput, ...clientWebhook }),
    z.strictObject({ type: z.literal("style-transfer"), input: StyleTransferInput, ...clientWebhook }),
  ])
  .superRefine((request, context) => {
    if (request.webhook_events && !request.webhook) {
      context.addIssue({ code: "custom", path: ["webhook_events"], message: "webhook_events needs a webhook" });
    }
  });

const timestamp = z.string().datetime();

/** An image as a listing shows it: the rest is in the job (GET /api/jobs/{id}); a URL only when asked (`include=urls`). */
export const JobImageSummary = z.object({
  id: z.string(),
  index: z.number().int(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  url: z.string().url().optional().describe("A short-lived display URL; in a listing only with include=urls."),
});

export const JobImage = JobImageSummary.extend({
  key: z.string(),
  url: z.string().url().describe("A short-lived display URL (GET /api/images/{id} makes a new one)."),
  size: z.number().int(),
  contentType: z.string(),
  sha256: Sha256Hex.nullable(),
  deliveredAt: timestamp.nullable().describe("When the handler's announcement of the image reached Easel."),
});

const milliseconds = z.number().int().nullable();

export const JobMetrics = z.object({
  queue_ms: milliseconds.describe("created → the handler started"),
  run_ms: milliseconds.describe("the handler started → the last image delivered"),
  total_ms: milliseconds.describe("created → ended"),
  runpod_delay_ms: milliseconds.describe("RunPod's delayTime, when its completion webhook carried it"),
  runpod_execution_ms: milliseconds.describe("RunPod's executionTime, when its completion webhook carried it"),
});

export const WebhookDeliveryAttempt = z.object({
  webhookId: z.string().describe("Standard Webhooks webhook-id: the same on every attempt of one delivery"),
  event: ClientWebhookEvent,
  attempt: z.number().int().min(1),
  attemptedAt: timestamp,
  status: z.number().int().nullable().describe("your endpoint's HTTP status; null when it did not answer"),
  durationMs: z.number().int(),
  outcome: z.enum(["delivered", "retry", "failed"]),
  error: z.string().nullable(),
});

export const JobWebhook = z.object({
  url: z.string(),
  events: z.array(ClientWebhookEvent),
});

const jobFields = {
  id: z.string(),
  type: JobType,
  status: JobStatus,
  progress: z.number(),
  error: z
    .string()
    .nullable()
    .describe(
      "Why the job ended failed, canceled or timed_out (null otherwise). A completion that lists fewer images than were asked for waits 60 s (never past the deadline) for the others, then fails with 'the handler completed with k of n images; missing indices …'; the images that arrived stay on the job.",
    ),
  input: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
  updatedAt: timestamp,
  startedAt: timestamp.nullable(),
  completedAt: timestamp.nullable(),
  metrics: JobMetrics,
};

export const Job = z.object({
  ...jobFields,
  images: z.array(JobImage),
  webhook: JobWebhook.extend({
    deliveries: z.array(WebhookDeliveryAttempt).describe("the latest attempts, oldest first"),
  }).nullable(),
});

/** A job as a listing shows it: light, nothing presigned unless asked. */
export const JobSummary = z.object({
  ...jobFields,
  images: z.array(JobImageSummary),
  webhook: JobWebhook.nullable(),
});

export const JobList = z.object({
  jobs: z.array(JobSummary),
  nextCursor: z.string().nullable(),
});

export const ListJobsQuery = z.strictObject({
  status: JobStatus.optional(),
  type: JobType.optional(),
  created_after: z.string().datetime({ offset: true }).optional().describe("only jobs created at or after this time"),
  created_before: z.string().datetime({ offset: true }).optional().describe("only jobs created before this time"),
  include: z.enum(["urls"]).optional().describe("urls: give each image a short-lived display URL (otherwise GET /api/images/{id} or the job)"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

/** The byte size is signed into the upload URL: the PUT must carry exactly that many bytes. */
export const CreateUploadRequest = z.strictObject({
  contentType: ImageContentType,
  contentLength: z.number().int().min(1).describe("the exact number of bytes you will PUT"),
});

export const Upload = z.object({
  key: z.string(),
  url: z.string().url(),
  method: z.literal("PUT"),
  headers: z.record(z.string(), z.string()),
  expiresAt: z.string().datetime(),
});

export type CreateJobRequest = z.infer<typeof CreateJobRequest>;
export type TextToImageInput = z.infer<typeof TextToImageInput>;
export type StyleTransferInput = z.infer<typeof StyleTransferInput>;
export type ClientWebhookEvent = z.infer<typeof ClientWebhookEvent>;
export type Job = z.infer<typeof Job>;
export type JobImage = z.infer<typeof JobImage>;
export type JobSummary = z.infer<typeof JobSummary>;
export type JobList = z.infer<typeof JobList>;
export type JobMetrics = z.infer<typeof JobMetrics>;
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;
export type CreateUploadRequest = z.infer<typeof CreateUploadRequest>;
export type Upload = z.infer<typeof Upload>;
