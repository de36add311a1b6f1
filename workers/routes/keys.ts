import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { ApiKeyInfo } from "../../schema/contract/index.js";
import { database } from "../db.js";
import type { AppEnv } from "../env.js";
import { notFound } from "../errors.js";
import { requireApiKey } from "../middleware/auth.js";
import { validationHook } from "../middleware/validation.js";
import { apiKeyInfo, getApiKey } from "../services/api-keys.js";
import { errors, json } from "./openapi-common.js";

const keys = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const current = createRoute({
  method: "get",
  path: "/current",
  security: [{ apiKey: [] }],
  middleware: [requireApiKey] as const,
  summary: "The calling API key's own metadata (never the key)",
  responses: { 200: json(ApiKeyInfo, "this key"), ...errors(401) },
});

keys.openapi(current, async (c) => {
  const row = await getApiKey(database(c.env), c.get("apiKeyId"));
  if (!row) throw notFound("API key");
  return c.json(apiKeyInfo(row), 200);
});

export default keys;
