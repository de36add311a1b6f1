import { z } from "zod";

/** API keys (operator routes and a key's own view) and the per-key webhook signing secret. */

const Owner = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1 to 64 characters of [A-Za-z0-9_-]");

export const CreateApiKeyRequest = z.strictObject({
  owner: Owner.describe("the tenant: every key of an owner sees all of that owner's jobs"),
  name: z.string().trim().min(1).max(100).optional().describe("what the key is for, to recognise it in a list"),
  expiresAt: z.string().datetime({ offset: true }).optional().describe("after this time the key gets 401"),
});

export const ApiKeyInfo = z.object({
  id: z.string(),
  owner: z.string(),
  name: z.string().nullable(),
  prefix: z.string().describe("the key's first characters, to recognise it; never the key"),
  createdAt: z.string().datetime(),
  expiresAt: z.string().datetime().nullable(),
  revokedAt: z.string().datetime().nullable(),
});

export const CreatedApiKey = ApiKeyInfo.extend({ key: z.string().describe("the key itself: shown once, stored hashed") });

export const ListApiKeysQuery = z.strictObject({
  owner: Owner.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const ApiKeyList = z.object({ keys: z.array(ApiKeyInfo), nextCursor: z.string().nullable() });

export const WebhookSecret = z.object({
  key: z.string().startsWith("whsec_").describe("Standard Webhooks secret that signs Easel's webhooks to your jobs' webhook URLs"),
});

export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;
export type ListApiKeysQuery = z.infer<typeof ListApiKeysQuery>;
export type ApiKeyList = z.infer<typeof ApiKeyList>;
