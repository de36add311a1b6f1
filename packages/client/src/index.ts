// The client for any runtime with fetch (browsers, Workers, Node); Node's entry point (node.ts) adds file paths.
export { EaselClient, type CreateJobOptions, type EaselClientOptions } from "./client.js";
export { EaselError } from "./errors.js";
export type { EventsOptions } from "./events.js";
export { sniffContentType, type UploadSource, type UploadedImage } from "./uploads.js";
export { verifyWebhook, type WebhookHeaders } from "./webhooks.js";
export { FINAL_JOB_STATUSES, JOB_EVENT_NAMES, TERMINAL_JOB_EVENTS, isFinalStatus } from "../../../schema/contract/names.js";
export type * from "./types.js";
