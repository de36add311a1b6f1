import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import {
  ApiKeyInfo, ApiKeyList, CreateApiKeyRequest, CreatedApiKey, ListApiKeysQuery, StorageReport, UsageQuery, UsageReport,
} from "../../schema/contract/index.js";
import { database } from "../db.js";
import type { AppEnv } from "../env.js";
import { notFound } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { validationHook } from "../middleware/validation.js";
import { apiKeyInfo, createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys.js";
import { storageReport } from "../services/storage-report.js";
import { usageReport } from "../services/usage.js";
import { IdParam, errors, json } from "./openapi-common.js";

const admin = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const operator = { security: [{ adminToken: [] }], middleware: [requireAdmin] };

const createKey = createRoute({
  method: "post",
  path: "/keys",
  ...operator,
  summary: "Create an API key for an owner (the tenant: every key of an owner sees that owner's jobs); the key is shown once and stored hashed",
  request: { body: { required: true, content: { "application/json": { schema: CreateApiKeyRequest } } } },
  responses: { 201: json(CreatedApiKey, "the new key"), ...errors(400, 401, 403, 415) },
});

admin.openapi(createKey, async (c) => c.json(await createApiKey(database(c.env), c.req.valid("json")), 201));

const listKeys = createRoute({
  method: "get",
  path: "/keys",
  ...operator,
  summary: "API keys, newest first, revoked and expired ones included; never the key itself",
  request: { query: ListApiKeysQuery },
  responses: { 200: json(ApiKeyList, "a page of keys"), ...errors(400, 401, 403) },
});

admin.openapi(listKeys, async (c) => c.json(await listApiKeys(database(c.env), c.req.valid("query")), 200));

const revokeKey = createRoute({
  method: "delete",
  path: "/keys/{id}",
  ...operator,
  summary: "Revoke an API key: its next request gets 401",
  request: { params: IdParam },
  responses: { 200: json(ApiKeyInfo, "the key, revoked (revoking again changes nothing)"), ...errors(401, 403, 404) },
});

admin.openapi(revokeKey, async (c) => {
  const row = await revokeApiKey(database(c.env), c.req.valid("param").id);
  if (!row) throw notFound("API key");
  return c.json(apiKeyInfo(row), 200);
});

const report = createRoute({
  method: "get",
  path: "/storage-report",
  ...operator,
  summary: "Images, how many are stored S3-only, image bytes held in D1 (must be 0), the rate, by job type",
  responses: { 200: json(StorageReport, "the report"), ...errors(401, 403) },
});

admin.openapi(report, async (c) => c.json(await storageReport(c.env.DB), 200));

const usage = createRoute({
  method: "get",
  path: "/usage",
  ...operator,
  summary: "Jobs, images and run time per API key and per UTC day of creation",
  request: { query: UsageQuery },
  responses: { 200: json(UsageReport, "one row per day, owner and key that created jobs"), ...errors(400, 401, 403) },
});

admin.openapi(usage, async (c) => c.json(await usageReport(c.env.DB, c.req.valid("query")), 200));

export default admin;
