/**
 * The contract's names as plain values, without zod: the client's browser bundle (the gallery)
 * imports them from here, so it carries the lists and not the schema library.
 */

export const JOB_TYPES = ["text-to-image", "style-transfer"] as const;
export const JOB_STATUSES = ["queued", "running", "completed", "failed", "canceled", "timed_out"] as const;
/** A job in one of these has ended: nothing more is recorded on it. */
export const FINAL_JOB_STATUSES = ["completed", "failed", "canceled", "timed_out"] as const;
export type FinalJobStatus = (typeof FINAL_JOB_STATUSES)[number];
export const isFinalStatus = (status: string): status is FinalJobStatus => (FINAL_JOB_STATUSES as readonly string[]).includes(status);

/** The live events of `GET /api/jobs/{id}/events`, by name; their data is in job-events.ts. */
export const JOB_EVENT_NAMES = ["progress", "image", "image_rejected", "completed", "failed", "canceled", "timed_out", "end"] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];
/** The event that ends a job: one of them comes last before `end`. */
export const TERMINAL_JOB_EVENTS = ["completed", "failed", "canceled", "timed_out"] as const satisfies readonly JobEventName[];
