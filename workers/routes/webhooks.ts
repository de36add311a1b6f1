import { OpenAPIHono, createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { RunpodWebhook, SIGNED_WEBHOOK_MAX_BYTES, isContractShaped, normaliseWebhook } from "../../schema/contract/index.js";
import type { DeliveryOutcome } from "../assembler/outcome.js";
import { settings, type AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { legacyImageBodyBytes, readBodyWithin, requireJsonBody } from "../middleware/body.js";
import { fieldIssues, validationHook } from "../middleware/validation.js";
import { requireCallbackToken, verifySignedWebhook, webhookCredential } from "../services/webhook-signing.js";
import { JobIdParam, errors, json } from "./openapi-common.js";

const webhooks = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const Acknowledgement = z.object({ result: z.enum(["applied", "duplicate", "ignored", "kept"]), status: z.string(), detail: z.string().optional() });
const TokenQuery = z.object({ token: z.string().max(200).optional() });

type Authenticated = { signed: boolean; webhookId: string | null; body: unknown };

const utf8 = new TextDecoder();

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("bad_request", "body is not valid JSON");
  }
}

/**
 * Who sent the request is settled before its body is parsed. A signed body is read up to the
 * small limit and verified on its raw bytes. A URL token is checked before the body is read; only
 * then does a legacy handler's body get the large limit its base64 images need.
 */
async function authenticate(env: Env, jobId: string, request: Request, token: string | undefined): Promise<Authenticated> {
  const credential = webhookCredential(request.headers, token);
  if (credential.kind === "signature") {
    const bytes = await readBodyWithin(request, SIGNED_WEBHOOK_MAX_BYTES);
    const { webhookId, text } = await verifySignedWebhook({ signingKey: env.WEBHOOK_SIGNING_KEY, jobId, headers: request.headers, body: bytes });
    return { signed: true, webhookId, body: parseJson(text) };
  }
  await requireCallbackToken(env.WEBHOOK_SIGNING_KEY, jobId, "legacy-callback", credential.token);
  const bytes = await readBodyWithin(request, legacyImageBodyBytes(settings(env)));
  // An unsigned webhook-id dedupes legacy redeliveries, in its own namespace: it must not pre-empt a signed id.
  const unsignedId = request.headers.get("webhook-id");
  return { signed: false, webhookId: unsignedId ? `unsigned:${unsignedId.slice(0, 200)}` : null, body: parseJson(utf8.decode(bytes)) };
}

function acknowledge(outcome: DeliveryOutcome) {
  if (outcome.result === "rejected") throw new ApiError(outcome.code, outcome.message, outcome.details);
  return { body: outcome, status: outcome.result === "kept" ? (202 as const) : (200 as const) };
}

const generation = createRoute({
  method: "post",
  path: "/generation/{jobId}",
  middleware: [requireJsonBody] as const,
  summary: "The handler's webhook: contract events signed with Standard Webhooks; legacy shapes with the URL token (see docs/legacy-formats.md)",
  request: { params: JobIdParam, query: TokenQuery },
  responses: {
    200: json(Acknowledgement, "applied, or already applied; `status` is the job's, and a final one other than completed means: stop"),
    202: json(Acknowledgement, "kept: the bucket or D1 failed for now; retried by the job's alarm"),
    ...errors(400, 401, 404, 409, 413, 422),
  },
});

webhooks.openapi(generation, async (c) => {
  const { jobId } = c.req.valid("param");
  const { signed, webhookId, body } = await authenticate(c.env, jobId, c.req.raw, c.req.valid("query").token);
  if (!signed && isContractShaped(body)) {
    throw new ApiError("unauthorized", "a contract event must be signed (Standard Webhooks, callback.secret); the URL token takes legacy shapes only");
  }
  const normalised = normaliseWebhook(body);
  if (!normalised.ok) throw new ApiError("validation_failed", "webhook body matches no known shape", normalised.issues);
  if (normalised.jobId && normalised.jobId !== jobId) {
    throw new ApiError("validation_failed", "job_id does not match the URL", [{ path: "job_id", message: `expected ${jobId}` }]);
  }
  const outcome = await assemblerFor(c.env, jobId).deliver({
    webhookId, events: normalised.events, source: "handler", ...(normalised.runpodJobId ? { runpodJobId: normalised.runpodJobId } : {}),
  });
  const { body: ack, status } = acknowledge(outcome);
  return c.json(ack, status);
});

const runpod = createRoute({
  method: "post",
  path: "/runpod/{jobId}",
  middleware: [requireJsonBody] as const,
  summary: "RunPod's own completion webhook (its own URL token): a second signal used to reconcile",
  request: { params: JobIdParam, query: TokenQuery },
  responses: {
    200: json(Acknowledgement, "reconciled, or nothing to do"),
    202: json(Acknowledgement, "kept and retried"),
    ...errors(400, 401, 404, 413, 422),
  },
});

webhooks.openapi(runpod, async (c) => {
  const { jobId } = c.req.valid("param");
  const { token } = c.req.valid("query");
  if (token === undefined) throw new ApiError("unauthorized", "RunPod's webhook carries no callback token");
  await requireCallbackToken(c.env.WEBHOOK_SIGNING_KEY, jobId, "runpod", token);
  const body = parseJson(utf8.decode(await readBodyWithin(c.req.raw, SIGNED_WEBHOOK_MAX_BYTES)));
  const parsed = RunpodWebhook.safeParse(body);
  if (!parsed.success) throw new ApiError("validation_failed", "not a RunPod webhook body", fieldIssues(parsed.error));
  const { body: ack, status } = acknowledge(await assemblerFor(c.env, jobId).runpodSignal(parsed.data));
  return c.json(ack, status);
});

export default webhooks;
