import type { Schedule } from "./schedule.js";
import { isOver, type AssemblerState } from "./state.js";

/**
 * A job's storage is cleared `retentionMs` after it ended (D1 keeps the record), once D1 holds it
 * and the client's webhooks are delivered or given up.
 */
export function scheduleRetention(state: AssemblerState, schedule: Schedule, retentionMs: number) {
  const job = state.job();
  if (!job || !isOver(job) || schedule.get("retention") || state.d1Lags() || state.nextClientWebhook()) return;
  schedule.due("retention", (job.completed_at ?? Date.now()) + retentionMs);
}

/** The retention is due, but D1, the client's webhooks or a RunPod cancel still need the storage. */
export function storageStillNeeded(state: AssemblerState, schedule: Schedule): boolean {
  return state.d1Lags() || state.nextClientWebhook() !== null || schedule.all().some((work) => work.name !== "retention");
}
