import { z } from "zod";

/** What operators read: the storage check and usage per API key and day. */

export const StorageFigures = z.object({
  images: z.number(),
  s3Only: z.number(),
  bytesInD1: z.number(),
  rate: z.number(),
  metadataBytesPerImage: z.number(),
});

export const StorageReport = z.object({ overall: StorageFigures, byType: z.record(z.string(), StorageFigures) });

export const UsageQuery = z.strictObject({
  from: z.iso.date().optional().describe("first day (UTC), default 30 days before `to`"),
  to: z.iso.date().optional().describe("last day (UTC), included; default today"),
  owner: z.string().max(64).optional(),
});

export const UsageRow = z.object({
  day: z.iso.date(),
  apiKeyId: z.string().nullable().describe("null for jobs created before keys were recorded on jobs"),
  owner: z.string(),
  jobs: z.number().int(),
  images: z.number().int(),
  runMs: z.number().int().describe("handler time: started → ended, summed over the jobs that started"),
  executionMs: z.number().int().describe("RunPod's executionTime, summed where RunPod reported it"),
});

export const UsageReport = z.object({ from: z.iso.date(), to: z.iso.date(), usage: z.array(UsageRow) });

export type StorageFigures = z.infer<typeof StorageFigures>;
export type StorageReport = z.infer<typeof StorageReport>;
export type UsageQuery = z.infer<typeof UsageQuery>;
export type UsageRow = z.infer<typeof UsageRow>;
export type UsageReport = z.infer<typeof UsageReport>;
