import { z } from "zod";
import { Base64, Progress } from "./common.js";

/**
 * Legacy handlers' shapes (docs/legacy-formats.md): what the style-transfer and text-to-image
 * handlers sent before Easel. Accepted as they are and normalised in `normalise.ts`.
 */

const jobId = z.string().min(1).max(64).optional();

/** Legacy handlers' per-image fields. Every one is optional: old handlers sent what they had. */
export const LegacyImageFields = z.object({
  filename: z.string().max(255).optional(),
  subfolder: z.string().max(255).optional(),
  type: z.string().max(32).optional(),
  data: Base64.optional(),
  s3Key: z.string().max(1024).nullish(),
  networkVolumePath: z.string().max(1024).nullish(),
  fileSize: z.number().int().min(0).nullish(),
  format: z.string().max(32).nullish(),
});

const legacyIndex = z.number().int().min(0).max(63);

/** A per-image message: the fields at the top level or under `image`, possibly one chunk of many. */
export const LegacyImageMessage = LegacyImageFields.extend({
  job_id: jobId,
  image: LegacyImageFields.optional(),
  image_index: legacyIndex.optional(),
  index: legacyIndex.optional(),
  total_images: z.number().int().min(1).max(64).optional(),
  chunk: z.number().int().min(0).optional(),
  chunks: z.number().int().min(1).max(4096).optional(),
});

const LegacyPathEntry = z.union([z.string().max(1024), LegacyImageFields]);

export const LegacyCompletion = z.object({
  job_id: jobId,
  status: z.literal("COMPLETED"),
  progress: Progress.optional(),
  network_volume_paths: z.array(LegacyPathEntry).max(64).optional(),
  resultUrls: z.array(z.string()).max(64).optional(),
  s3Keys: z.array(LegacyPathEntry).max(64).optional(),
  networkVolumePaths: z.array(LegacyPathEntry).max(64).optional(),
  images: z.array(z.union([z.string(), LegacyImageFields])).max(64).optional(),
});

export const LegacyProgress = z.object({
  job_id: jobId,
  status: z.literal("IN_PROGRESS"),
  progress: Progress,
  message: z.string().max(200).optional(),
});

export const LegacyFailure = z.object({
  job_id: jobId,
  status: z.literal("FAILED"),
  error: z.string().min(1).max(2000),
});

export const LegacyStatusMessage = z.discriminatedUnion("status", [
  LegacyCompletion,
  LegacyProgress,
  LegacyFailure,
]);

export type LegacyImageFields = z.infer<typeof LegacyImageFields>;
export type LegacyImageMessage = z.infer<typeof LegacyImageMessage>;
export type LegacyCompletion = z.infer<typeof LegacyCompletion>;
export type LegacyStatusMessage = z.infer<typeof LegacyStatusMessage>;
