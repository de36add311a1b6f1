import { z } from "zod";
import { CONTRACT_VERSION, ImageIndex, JobType, ObjectKey, VolumePath } from "./common.js";

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
  /** Style transfer: each input as a presigned GET (`*_url`) or, on a network volume, its path on the mount (`*_path`). */
  inputs: z
    .strictObject({
      style_image_url: z.string().url().optional(),
      content_image_url: z.string().url().optional(),
      style_image_path: VolumePath.optional(),
      content_image_path: VolumePath.optional(),
    })
    .default({}),
  outputs: z.array(HandlerOutputTarget).min(1),
  /** Present when the store cannot presign: write each output to `{mount_path}/{key}` instead. */
  network_volume: z.strictObject({ mount_path: z.string().startsWith("/") }).optional(),
  /** When the Worker ends the job whatever happens: the handler's retries and waits stop before it. */
  deadline_at: z.string().datetime().optional(),
  /**
   * `url` takes Standard Webhooks signed with `secret` and nothing else. `legacy_url` (the same
   * route with the job's token) is for legacy handlers that cannot sign; a v1 handler never uses it.
   */
  callback: z.strictObject({
    url: z.string().url(),
    secret: z.string().startsWith("whsec_"),
    legacy_url: z.string().url().optional(),
  }),
});

export type HandlerInput = z.infer<typeof HandlerInput>;
export type HandlerOutputTarget = z.infer<typeof HandlerOutputTarget>;
