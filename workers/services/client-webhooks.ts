import { eq } from "drizzle-orm";
import { DEFAULT_CLIENT_WEBHOOK_EVENTS, type ClientWebhookEvent } from "../../schema/contract/index.js";
import { jobs, webhookDeliveries } from "../../schema/d1.js";
import { database } from "../db.js";
import { jobView } from "../jobs/job-view.js";
import { getApiKey } from "./api-keys.js";
import { signingSecrets } from "./client-webhook-secret.js";
import { sendSignedWebhook, type SendResult } from "./webhook-sender.js";

/** One delivery of a job's change to the client's `webhook`, and which attempt this is (from 1). */
export type ClientWebhookDelivery = { jobId: string; event: ClientWebhookEvent; webhookId: string; attempt: number };

export type ClientWebhookOutcome = SendResult | { outcome: "skipped"; reason: string };

/** The `webhook-id` of a job's delivery: stable across retries and restarts (`index` for `image`). */
export function clientWebhookId(jobId: string, event: ClientWebhookEvent, index?: number): string {
  return event === "image" ? `${jobId}_image_${index ?? 0}` : `${jobId}_${event}`;
}

/**
 * Makes one attempt: the job as `GET /api/jobs/:id` shows it now, signed under the creating key's
 * secret, POSTed to the job's webhook, the attempt recorded on the job. The caller (the job's
 * JobAssembler) retries `retry` outcomes with backoff, honouring `retryAfterMs`; a thrown error
 * (D1 unavailable) is a retry too. `skipped`: the job asked for no such webhook.
 */
export async function deliverClientWebhook(env: Env, delivery: ClientWebhookDelivery): Promise<ClientWebhookOutcome> {
  const db = database(env);
  const [job] = await db.select().from(jobs).where(eq(jobs.id, delivery.jobId));
  if (!job) return { outcome: "skipped", reason: "no such job" };
  if (!job.webhookUrl || !(job.webhookEvents ?? DEFAULT_CLIENT_WEBHOOK_EVENTS).includes(delivery.event)) {
    return { outcome: "skipped", reason: `the job asked for no ${delivery.event} webhook` };
  }
  const key = job.apiKeyId ? await getApiKey(db, job.apiKeyId) : null;
  if (!key) return { outcome: "skipped", reason: "the job records no API key to sign with" };

  const body = JSON.stringify(await jobView(env, job));
  const attemptedAt = Date.now();
  const result = await sendSignedWebhook({
    url: job.webhookUrl, webhookId: delivery.webhookId, body, secrets: await signingSecrets(env.WEBHOOK_SIGNING_KEY, key),
  });
  await db.insert(webhookDeliveries).values({
    jobId: job.id, webhookId: delivery.webhookId, event: delivery.event, attempt: delivery.attempt, attemptedAt,
    status: result.status, durationMs: result.durationMs, outcome: result.outcome, error: result.outcome === "delivered" ? null : result.error,
  });
  return result;
}
