export { EaselClient, type CreateJobOptions, type EaselClientOptions } from "./client.js";
export { EaselError } from "./errors.js";
export type { EventsOptions } from "./events.js";
export { sniffContentType, type UploadSource, type UploadedImage } from "./uploads.js";
export { verifyWebhook, type WebhookHeaders } from "./webhooks.js";
export type * from "./types.js";
