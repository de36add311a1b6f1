import { z } from "zod";
import { JOB_STATUSES, JOB_TYPES } from "./names.js";

export { FINAL_JOB_STATUSES, JOB_STATUSES, JOB_TYPES, isFinalStatus, type FinalJobStatus } from "./names.js";

export const CONTRACT_VERSION = 1;

/** Where RunPod mounts a network volume on a GPU worker; a legacy volume path is a key under it. */
export const VOLUME_MOUNT_PATH = "/runpod-volume";

/** How an image reached a job: the handler's webhook, legacy bytes, RunPod's output, the save route. */
export const IMAGE_SOURCES = ["handler", "legacy-bytes", "runpod", "save-route"] as const;
export const IMAGE_CONTENT_TYPES = ["image/png", "image/jpeg", "image/webp"] as const;

export const JobType = z.enum(JOB_TYPES);
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;
export type ImageSource = (typeof IMAGE_SOURCES)[number];
export const ImageContentType = z.enum(IMAGE_CONTENT_TYPES);
export type ImageContentType = z.infer<typeof ImageContentType>;

/** A bucket key: only `[A-Za-z0-9/_.-]`, no leading `/`, no `..` segment, no empty segment. */
export const ObjectKey = z
  .string()
  .min(1)
  .max(512)
  .regex(
    /^(?!\.{1,2}(\/|$))(?!.*\/\.{1,2}(\/|$))[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/,
    "only [A-Za-z0-9/_.-]; no leading, trailing or double '/'; no '.' or '..' segment",
  );

/** An absolute path on a mounted volume: `/`-separated, no `.` or `..` segment, the same characters as a key. */
export const VolumePath = z
  .string()
  .min(2)
  .max(1024)
  .regex(
    /^(?!.*\/\.{1,2}(\/|$))(\/[A-Za-z0-9_.-]+)+$/,
    "an absolute path of [A-Za-z0-9/_.-] segments, no '.' or '..' segment",
  );

/** RunPod's id of the run that carries an Easel job (what `/run` answered). */
export const RunpodJobId = z.string().min(1).max(128);

export const Sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, "lowercase hex sha256");
export const ImageIndex = z.number().int().min(0).max(63);
export const Progress = z.number().min(0).max(100);
export const Base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, "base64");

/**
 * The largest body a signed webhook (and RunPod's own) may have: a completion listing 64 images
 * fits with room to spare; bytes never travel in a signed webhook.
 */
export const SIGNED_WEBHOOK_MAX_BYTES = 32 * 1024;
