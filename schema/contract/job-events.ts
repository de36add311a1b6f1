import { z } from "zod";
import { JobStatus } from "./common.js";
import { JobImage } from "./jobs.js";
import type { JobEventName } from "./names.js";

export { JOB_EVENT_NAMES, TERMINAL_JOB_EVENTS, type JobEventName } from "./names.js";

/**
 * The data of each live event of `GET /api/jobs/{id}/events` (Server-Sent Events), by event
 * name. The JobAssembler renders them; the API description and the client read them from here.
 */
export const JobProgressEvent = z.object({ progress: z.number(), message: z.string().optional() });
export const JobImageEvent = JobImage.omit({ deliveredAt: true });
export const JobImageRejectedEvent = z.object({ index: z.number().int(), reason: z.string() });
export const JobCompletedEvent = z.object({ status: z.literal("completed"), images: z.number().int() });
const ended = <S extends "failed" | "canceled" | "timed_out">(status: S) => z.object({ status: z.literal(status), error: z.string() });
export const JobFailedEvent = ended("failed");
export const JobCanceledEvent = ended("canceled");
export const JobTimedOutEvent = ended("timed_out");
/** Follows the terminal event; then the stream closes. */
export const JobStreamEndEvent = z.object({ status: JobStatus });

export const JOB_EVENT_DATA = {
  progress: JobProgressEvent,
  image: JobImageEvent,
  image_rejected: JobImageRejectedEvent,
  completed: JobCompletedEvent,
  failed: JobFailedEvent,
  canceled: JobCanceledEvent,
  timed_out: JobTimedOutEvent,
  end: JobStreamEndEvent,
} as const satisfies Record<JobEventName, z.ZodType>;

/** One live event: its name, its sequence number (null for `end`) and its data. */
export type JobEvent = { [Name in JobEventName]: { type: Name; id: number | null; data: z.infer<(typeof JOB_EVENT_DATA)[Name]> } }[JobEventName];
