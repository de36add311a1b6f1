import { z } from "zod";
import { Base64 } from "./common.js";
import { LegacyImageFields } from "./legacy.js";

/** `POST /api/images/save`: the legacy front end's route (docs/legacy-formats.md), one delivered image. */
export const SaveImageRequest = LegacyImageFields.pick({ filename: true, s3Key: true, networkVolumePath: true, fileSize: true, format: true })
  .extend({ jobId: z.string().min(1).max(64), index: z.number().int().min(0).max(63), data: Base64.optional() })
  .strict();

export const SaveImageResult = z.object({
  jobId: z.string(),
  index: z.number(),
  storedAs: z.enum(["s3-key", "bytes-uploaded"]),
  result: z.string(),
});

export type SaveImageRequest = z.infer<typeof SaveImageRequest>;
