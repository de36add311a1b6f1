import { z } from "zod";
import { CONTRACT_VERSION, ImageIndex, JobType, ObjectKey } from "./common.js";

/** What the Worker sends as RunPod's `input` (contract v1): all a handler can rely on. */
export const HandlerOutputTarget = z.strictObject({
  index: ImageIndex,
  key: ObjectKey,
  upload_url: z.string().url().optional(),
  headers: z.record(z.string(), z.string()).default({}),
});

export const HandlerInput = z.strictObject({
  contract: z.literal(CONTRACT_VERSION),
  job_id: z.string().min(1).max(64),
  type: JobType,
  params: z.strictObject({
    prompt: z.string(),
    negative_prompt: z.string(),
    width: z.number().int().min(64).max(2048),
    height: z.number().int().min(64).max(2048),
    steps: z.number().int().min(1).max(150),
    seed: z.number().int().min(0),
    num_images: z.number().int().min(1).max(8),
    strength: z.number().min(0).max(1).optional(),
  }),
  inputs: z
    .strictObject({
      style_image_url: z.string().url().optional(),
      content_image_url: z.string().url().optional(),
    })
    .default({}),
  outputs: z.array(HandlerOutputTarget).min(1),
  /** Present when the store cannot presign: write each output to `{mount_path}/{key}` instead. */
  network_volume: z.strictObject({ mount_path: z.string().startsWith("/") }).optional(),
  callback: z.strictObject({
    url: z.string().url(),
    secret: z.string().startsWith("whsec_"),
  }),
});

export type HandlerInput = z.infer<typeof HandlerInput>;
export type HandlerOutputTarget = z.infer<typeof HandlerOutputTarget>;
