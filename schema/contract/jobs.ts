import { z } from "zod";
import { ImageContentType, JobStatus, JobType, ObjectKey } from "./common.js";

const dimension = z.number().int().min(64).max(2048).multipleOf(8);

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

export const CreateJobRequest = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text-to-image"), input: TextToImageInput }),
  z.strictObject({ type: z.literal("style-transfer"), input: StyleTransferInput }),
]);

export const JobImage = z.object({
  id: z.string(),
  index: z.number().int(),
  key: z.string(),
  url: z.string().url(),
  size: z.number().int(),
  contentType: z.string(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
});

export const Job = z.object({
  id: z.string(),
  type: JobType,
  status: JobStatus,
  progress: z.number(),
  error: z.string().nullable(),
  input: z.record(z.string(), z.unknown()),
  images: z.array(JobImage),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
  completedAt: z.string().datetime().nullable(),
});

export const JobList = z.object({
  jobs: z.array(Job),
  nextCursor: z.string().nullable(),
});

export const ListJobsQuery = z.strictObject({
  status: JobStatus.optional(),
  type: JobType.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});

/** The byte size is signed into the upload URL: the PUT must carry exactly that many bytes. */
export const CreateUploadRequest = z.strictObject({
  contentType: ImageContentType,
  contentLength: z.number().int().min(1),
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
export type Job = z.infer<typeof Job>;
export type JobImage = z.infer<typeof JobImage>;
export type ListJobsQuery = z.infer<typeof ListJobsQuery>;
