import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { database } from "../db.js";
import type { AppEnv } from "../env.js";
import { requireAdmin } from "../middleware/auth.js";
import { validationHook } from "../middleware/validation.js";
import { createApiKey } from "../services/api-keys.js";
import { storageReport } from "../services/storage-report.js";
import { errors, json } from "./openapi-common.js";

const admin = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
admin.use("*", requireAdmin);
const security = [{ adminToken: [] }];

const CreateKeyRequest = z.strictObject({
  owner: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "1 to 64 characters of [A-Za-z0-9_-]"),
});
const CreatedKey = z.object({ id: z.string(), owner: z.string(), key: z.string() });

const createKey = createRoute({
  method: "post",
  path: "/keys",
  security,
  summary: "Create an API key for an owner; the key is shown once and stored hashed",
  request: { body: { required: true, content: { "application/json": { schema: CreateKeyRequest } } } },
  responses: { 201: json(CreatedKey, "the new key"), ...errors(400, 401, 403, 415) },
});

admin.openapi(createKey, async (c) => c.json(await createApiKey(database(c.env), c.req.valid("json").owner), 201));

const Figures = z.object({ images: z.number(), s3Only: z.number(), bytesInD1: z.number(), rate: z.number(), metadataBytesPerImage: z.number() });
const StorageReport = z.object({ overall: Figures, byType: z.record(z.string(), Figures) });

const report = createRoute({
  method: "get",
  path: "/storage-report",
  security,
  summary: "Images, how many are stored S3-only, image bytes held in D1 (must be 0), the rate, by job type",
  responses: { 200: json(StorageReport, "the report"), ...errors(401, 403) },
});

admin.openapi(report, async (c) => c.json(await storageReport(c.env.DB), 200));

export default admin;
