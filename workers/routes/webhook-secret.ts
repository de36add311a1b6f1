import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { WebhookSecret } from "../../schema/contract/index.js";
import { database } from "../db.js";
import type { AppEnv } from "../env.js";
import { notFound } from "../errors.js";
import { requireApiKey } from "../middleware/auth.js";
import { validationHook } from "../middleware/validation.js";
import { getApiKey } from "../services/api-keys.js";
import { ROTATION_OVERLAP_MS, clientWebhookSecret, rotateClientWebhookSecret } from "../services/client-webhook-secret.js";
import { errors, json } from "./openapi-common.js";

const webhookSecret = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
const client = { security: [{ apiKey: [] }], middleware: [requireApiKey] };

async function currentSecret(env: Env, keyId: string) {
  const key = await getApiKey(database(env), keyId);
  if (!key) throw notFound("API key");
  return { key: await clientWebhookSecret(env.WEBHOOK_SIGNING_KEY, key.id, key.webhookSecretVersion) };
}

const show = createRoute({
  method: "get",
  path: "/secret",
  ...client,
  summary: "The secret that signs Easel's webhooks to your jobs' webhook URLs (Standard Webhooks), one per API key",
  responses: { 200: json(WebhookSecret, "the current secret"), ...errors(401) },
});

webhookSecret.openapi(show, async (c) => c.json(await currentSecret(c.env, c.get("apiKeyId")), 200));

const rotate = createRoute({
  method: "post",
  path: "/secret/rotate",
  ...client,
  summary: `A new webhook secret; for ${ROTATION_OVERLAP_MS / 3_600_000} hours deliveries carry signatures under the old and the new one`,
  responses: { 200: json(WebhookSecret, "the new secret"), ...errors(401) },
});

webhookSecret.openapi(rotate, async (c) => {
  const keyId = c.get("apiKeyId");
  const version = await rotateClientWebhookSecret(database(c.env), keyId);
  return c.json({ key: await clientWebhookSecret(c.env.WEBHOOK_SIGNING_KEY, keyId, version) }, 200);
});

export default webhookSecret;
