import { clientWebhookId, deliverClientWebhook, type ClientWebhookOutcome } from "../services/client-webhooks.js";
import { backoffDelay } from "./schedule.js";
import type { AssemblerState, ClientWebhookRow } from "./state.js";

/**
 * Webhooks to the client's own endpoint (the job's `webhook`), queued in the JobAssembler's
 * outbox as the job changes and sent in order, one at a time, once D1 shows the change.
 */

/** An endpoint that keeps timing out or answering 5xx or 429 is retried this long after the first attempt. */
const CLIENT_WEBHOOK_RETRY_MS = 24 * 60 * 60 * 1000;
const FIRST_DELAY_MS = 5_000;
const MAX_DELAY_MS = 60 * 60_000;

/** 5 s, 10 s, 20 s … capped at an hour, with jitter; a longer `Retry-After` wins. */
function clientWebhookRetryAt(attempt: number, retryAfterMs: number | null, now = Date.now()): number {
  return now + Math.max(backoffDelay(attempt - 1, FIRST_DELAY_MS, MAX_DELAY_MS), retryAfterMs ?? 0);
}

/** One attempt at an outbox entry; a thrown error (D1 unavailable) is worth retrying too. */
async function attemptClientWebhook(env: Env, jobId: string, entry: ClientWebhookRow): Promise<ClientWebhookOutcome> {
  const webhookId = clientWebhookId(jobId, entry.event, entry.idx ?? undefined);
  try {
    return await deliverClientWebhook(env, { jobId, event: entry.event, webhookId, attempt: entry.attempts + 1 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: "retry", status: null, durationMs: 0, retryAfterMs: null, error: `the attempt failed before sending: ${message}` };
  }
}

/** Delivered, refused for good (other 4xx), skipped or retried for a day: the entry leaves the outbox; else it is due again. */
export function recordClientWebhook(state: AssemblerState, entry: ClientWebhookRow, outcome: ClientWebhookOutcome, now = Date.now()) {
  if (outcome.outcome !== "retry") return state.clientWebhookDone(entry.seq);
  const firstAttemptAt = entry.first_attempt_at ?? now;
  if (now - firstAttemptAt >= CLIENT_WEBHOOK_RETRY_MS) {
    console.error(`job ${state.job()?.id}: giving up the client's ${entry.event} webhook after ${entry.attempts + 1} attempts: ${outcome.error}`);
    return state.clientWebhookDone(entry.seq);
  }
  state.clientWebhookRetry(entry.seq, clientWebhookRetryAt(entry.attempts + 1, outcome.retryAfterMs, now), now);
}

/**
 * Sends the outbox's webhooks that are due, in order, once D1 shows what they tell (the body is
 * the job as D1 has it). `record` applies each outcome in the JobAssembler's serial queue; the
 * sending itself is outside it, so a slow endpoint never holds up the handler's deliveries.
 */
export async function sendDueClientWebhooks(
  env: Env,
  state: AssemblerState,
  record: (entry: ClientWebhookRow, outcome: ClientWebhookOutcome) => Promise<void>,
): Promise<void> {
  for (;;) {
    const job = state.job();
    const entry = job && !state.d1Lags() ? state.nextClientWebhook() : null;
    if (!job || !entry || entry.due_at > Date.now()) return;
    await record(entry, await attemptClientWebhook(env, job.id, entry));
  }
}
