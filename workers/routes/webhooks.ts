import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { RunpodWebhook, normaliseWebhook } from "../../schema/contract/index.js";
import type { DeliveryOutcome } from "../assembler/outcome.js";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { limitLegacyBody } from "../middleware/body.js";
import { fieldIssues, validationHook } from "../middleware/validation.js";
import { verifyWebhook } from "../services/webhook-signing.js";
import { JobIdParam, errors, json } from "./openapi-common.js";

const webhooks = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

webhooks.use("*", limitLegacyBody);

const Acknowledgement = z.object({ result: z.enum(["applied", "duplicate", "ignored", "kept"]), status: z.string(), detail: z.string().optional() });
const TokenQuery = z.object({ token: z.string().max(200).optional() });

/** Authenticates the raw body first (401 changes nothing and parses nothing), then reads it as JSON. */
async function verifiedJson(env: Env, jobId: string, request: Request, token: string | undefined) {
  const body = await request.text();
  const { webhookId } = await verifyWebhook({ signingKey: env.WEBHOOK_SIGNING_KEY, jobId, headers: request.headers, body, token: token ?? null });
  try {
    return { webhookId, json: JSON.parse(body) as unknown };
  } catch {
    throw new ApiError("bad_request", "body is not valid JSON");
  }
}

function acknowledge(outcome: DeliveryOutcome) {
  if (outcome.result === "rejected") throw new ApiError(outcome.code, outcome.message, outcome.details);
  return { body: outcome, status: outcome.result === "kept" ? (202 as const) : (200 as const) };
}

const generation = createRoute({
  method: "post",
  path: "/generation/{jobId}",
  summary: "The handler's webhook: progress, image, image chunk, completed, failed; current and legacy shapes",
  request: { params: JobIdParam, query: TokenQuery },
  responses: {
    200: json(Acknowledgement, "applied, or already applied"),
    202: json(Acknowledgement, "kept: the bucket or D1 failed for now; retried by the job's alarm"),
    ...errors(400, 401, 404, 409, 413, 422),
  },
});

webhooks.openapi(generation, async (c) => {
  const { jobId } = c.req.valid("param");
  const { webhookId, json: body } = await verifiedJson(c.env, jobId, c.req.raw, c.req.valid("query").token);
  const normalised = normaliseWebhook(body);
  if (!normalised.ok) throw new ApiError("validation_failed", "webhook body matches no known shape", normalised.issues);
  if (normalised.jobId && normalised.jobId !== jobId) {
    throw new ApiError("validation_failed", "job_id does not match the URL", [{ path: "job_id", message: `expected ${jobId}` }]);
  }
  const outcome = await assemblerFor(c.env, jobId).deliver({ webhookId, events: normalised.events, source: "handler" });
  const { body: ack, status } = acknowledge(outcome);
  return c.json(ack, status);
});

const runpod = createRoute({
  method: "post",
  path: "/runpod/{jobId}",
  summary: "RunPod's own completion webhook (URL token): a second signal used to reconcile",
  request: { params: JobIdParam, query: TokenQuery },
  responses: {
    200: json(Acknowledgement, "reconciled, or nothing to do"),
    202: json(Acknowledgement, "kept and retried"),
    ...errors(400, 401, 404, 422),
  },
});

webhooks.openapi(runpod, async (c) => {
  const { jobId } = c.req.valid("param");
  const { json: body } = await verifiedJson(c.env, jobId, c.req.raw, c.req.valid("query").token);
  const parsed = RunpodWebhook.safeParse(body);
  if (!parsed.success) throw new ApiError("validation_failed", "not a RunPod webhook body", fieldIssues(parsed.error));
  const { body: ack, status } = acknowledge(await assemblerFor(c.env, jobId).runpodSignal(parsed.data));
  return c.json(ack, status);
});

export default webhooks;
