/** The API's shapes, inferred from Easel's zod contract (type-only: nothing of it runs in the client). */
export type {
  ApiKeyInfo,
  ApiKeyList,
  ClientWebhookEvent,
  CreateApiKeyRequest,
  CreateJobRequest,
  CreatedApiKey,
  CreateUploadRequest,
  Job,
  JobEvent,
  JobEventName,
  JobImage,
  JobList,
  JobMetrics,
  JobSummary,
  ListApiKeysQuery,
  ListJobsQuery,
  StorageFigures,
  StorageReport,
  Upload,
  UsageQuery,
  UsageReport,
} from "../../../schema/contract/index.js";
import type { z } from "zod";
import type { CreateJobRequest as CreateJobRequestSchema, ListJobsQuery } from "../../../schema/contract/index.js";

/** What a caller writes: defaults may be left out (the contract's input side). */
export type CreateJobInput = z.input<typeof CreateJobRequestSchema>;
export type ListJobsInput = Partial<ListJobsQuery>;
