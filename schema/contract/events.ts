import { z } from "zod";
import { ImageContentType, ImageIndex, ObjectKey, Progress, RunpodJobId, Sha256Hex } from "./common.js";

/** Webhook events a contract-v1 handler sends to `callback.url`, signed with `callback.secret`. */

const jobId = z.string().min(1).max(64);
/** The RunPod run the handler is serving (RunPod's job id), so the Worker can cancel a run it no longer wants. */
const runpodJobId = RunpodJobId.optional();

export const ProgressEvent = z.strictObject({
  type: z.literal("progress"),
  job_id: jobId,
  runpod_job_id: runpodJobId,
  progress: Progress,
  message: z.string().max(200).optional(),
});

export const ImageMetadata = z.strictObject({
  index: ImageIndex,
  key: ObjectKey,
  size: z.number().int().min(1),
  content_type: ImageContentType,
  width: z.number().int().min(1).max(16384),
  height: z.number().int().min(1).max(16384),
  sha256: Sha256Hex,
});

export const ImageEvent = z.strictObject({
  type: z.literal("image"),
  job_id: jobId,
  runpod_job_id: runpodJobId,
  total_images: z.number().int().min(1).max(64).optional(),
  image: ImageMetadata,
});

export const CompletedEvent = z.strictObject({
  type: z.literal("completed"),
  job_id: jobId,
  runpod_job_id: runpodJobId,
  images: z.array(ImageMetadata).max(64),
});

export const FailedEvent = z.strictObject({
  type: z.literal("failed"),
  job_id: jobId,
  runpod_job_id: runpodJobId,
  error: z.string().min(1).max(2000),
});

export const WebhookEvent = z.discriminatedUnion("type", [
  ProgressEvent,
  ImageEvent,
  CompletedEvent,
  FailedEvent,
]);

// Bytes never travel in a contract event: legacy handlers' numbered chunks are docs/legacy-formats.md's.
export const WEBHOOK_EVENT_TYPES = ["progress", "image", "completed", "failed"] as const;

/** What the handler returns to RunPod: small, keys and sizes only, never bytes. */
export const HandlerResult = z.object({
  images: z.array(ImageMetadata),
});

/** RunPod's own completion webhook (the body RunPod POSTs to the `webhook` given at `/run`). */
export const RunpodWebhook = z.object({
  id: RunpodJobId,
  status: z.enum(["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT", "IN_QUEUE", "IN_PROGRESS"]),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
  /** Milliseconds the run waited in RunPod's queue, and ran on a worker: the job's RunPod metrics. */
  delayTime: z.number().nonnegative().optional(),
  executionTime: z.number().nonnegative().optional(),
});

export type ImageMetadata = z.infer<typeof ImageMetadata>;
export type WebhookEvent = z.infer<typeof WebhookEvent>;
export type HandlerResult = z.infer<typeof HandlerResult>;
export type RunpodWebhook = z.infer<typeof RunpodWebhook>;
