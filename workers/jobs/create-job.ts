import { and, eq } from "drizzle-orm";
import { DEFAULT_CLIENT_WEBHOOK_EVENTS, type CreateJobRequest } from "../../schema/contract/index.js";
import { jobs, type JobRow } from "../../schema/d1.js";
import { database } from "../db.js";
import { settings } from "../env.js";
import { ApiError } from "../errors.js";
import { newId, sha256Hex } from "../services/hashing.js";
import { jobPrefix } from "../services/object-keys.js";
import { RunpodError, runJob } from "../services/runpod.js";
import { checkWebhookUrl } from "../services/webhook-url.js";
import { StoreUnavailableError, createObjectStore, type ObjectStore } from "../services/storage.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { countNewJob } from "../middleware/rate-limit.js";
import { requireInputImages } from "./input-images.js";
import { buildHandlerInput, callbackUrls } from "./handler-input.js";

export type CreatedJob = { job: JobRow; replayed: boolean };
/** Who asks: the owner sees the job; the API key's webhook secret signs the job's webhooks. */
export type Caller = { owner: string; apiKeyId: string };

/** Records the job, opens its JobAssembler and dispatches it to RunPod. */
export async function createJob(env: Env, { owner, apiKeyId }: Caller, request: CreateJobRequest, idempotencyKey?: string): Promise<CreatedJob> {
  const db = database(env);
  if (request.webhook) checkWebhookUrl(request.webhook, { local: settings(env).local });
  const requestHash = await sha256Hex(JSON.stringify(request));
  if (idempotencyKey) {
    const existing = await findByIdempotencyKey(env, owner, idempotencyKey);
    if (existing) return replay(existing, requestHash);
  }
  const store = createObjectStore(env);
  if (request.type === "style-transfer") await requireInputImages(store, owner, request.input, settings(env).maxImageBytes);

  // Only a valid new job counts: replays and refused requests are answered above without using the quota.
  await countNewJob(env, apiKeyId);
  const now = Date.now();
  const id = newId("job");
  const params = { ...request.input, seed: request.input.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]! };
  const webhook = request.webhook
    ? { webhookUrl: request.webhook, webhookEvents: [...new Set(request.webhook_events ?? DEFAULT_CLIENT_WEBHOOK_EVENTS)] }
    : { webhookUrl: null, webhookEvents: null };
  const row = {
    id, owner, apiKeyId, ...webhook, type: request.type, status: "queued" as const, progress: 0, params,
    expectedImages: request.input.num_images, idempotencyKey: idempotencyKey ?? null, requestHash,
    createdAt: now, updatedAt: now, deadlineAt: now + settings(env).jobTimeoutMs,
  };
  const inserted = await db.insert(jobs).values(row).onConflictDoNothing().returning();
  if (!inserted[0]) {
    const raced = idempotencyKey ? await findByIdempotencyKey(env, owner, idempotencyKey) : undefined;
    if (raced) return replay(raced, requestHash);
    throw new ApiError("conflict", "the job could not be recorded");
  }
  const job = inserted[0];
  if (await openAssembler(env, job)) await dispatch(env, store, job);
  const [current] = await db.select().from(jobs).where(eq(jobs.id, id));
  return { job: current ?? job, replayed: false };
}

/** False when the JobAssembler could not be opened: no alarm would ever end the job, so it ends failed here. */
async function openAssembler(env: Env, job: JobRow): Promise<boolean> {
  try {
    await assemblerFor(env, job.id).open({
      id: job.id, owner: job.owner, type: job.type, prefix: jobPrefix(job.owner, job.id), expected: job.expectedImages, deadlineAt: job.deadlineAt,
      webhookEvents: job.webhookUrl ? job.webhookEvents : null,
    });
    return true;
  } catch (error) {
    console.error("could not open the job's JobAssembler", error);
    const now = Date.now();
    await database(env)
      .update(jobs)
      .set({ status: "failed", error: `could not open the job: ${describe(error)}`, completedAt: now, updatedAt: now })
      .where(and(eq(jobs.id, job.id), eq(jobs.status, "queued")));
    return false;
  }
}

/**
 * The JobAssembler recorded the attempt when it opened. A refusal (or a failure before RunPod was
 * called) ends the job now; a timeout leaves it "unknown": RunPod may run it, and the JobAssembler
 * adopts the run from its first sign, or fails the job and cancels a run that shows up too late.
 */
async function dispatch(env: Env, store: ObjectStore, job: JobRow) {
  const assembler = assemblerFor(env, job.id);
  let runpodJobId: string;
  try {
    const input = await buildHandlerInput(env, store, job);
    const { runpod } = await callbackUrls(env, job.id);
    runpodJobId = await runJob(env, job.type, input, runpod, job.deadlineAt);
  } catch (error) {
    if (!(error instanceof RunpodError || error instanceof StoreUnavailableError)) console.error("dispatch failed", error);
    const unknown = error instanceof RunpodError && error.outcomeUnknown;
    await assembler.dispatchFailed(describe(error), unknown ? "unknown" : "refused");
    return;
  }
  await assembler.dispatched(runpodJobId);
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function findByIdempotencyKey(env: Env, owner: string, key: string) {
  const [row] = await database(env).select().from(jobs).where(and(eq(jobs.owner, owner), eq(jobs.idempotencyKey, key)));
  return row;
}

function replay(existing: JobRow, requestHash: string): CreatedJob {
  if (existing.requestHash !== requestHash) {
    throw new ApiError("conflict", "Idempotency-Key was already used with a different request");
  }
  return { job: existing, replayed: true };
}
