import { RunpodError, cancelJob } from "../services/runpod.js";
import type { Schedule, WorkName } from "./schedule.js";
import { isOver, type AssemblerState } from "./state.js";

/**
 * How long a dispatch may stay "unknown" (RunPod's /run did not answer in time, or the Worker
 * never heard back) before the job fails: a sign of the run (a handler event's runpod_job_id,
 * RunPod's webhook id) within it adopts the run; a run that shows up later is canceled.
 */
export const DISPATCH_CONFIRM_MS = 5 * 60_000;
/** Cancels of a RunPod run Easel no longer wants are retried on the alarm's schedule this many times. */
const CANCEL_ATTEMPTS = 8;

export type RunRecognition = "ours" | "adopted" | "unwanted";

/** A sign of a RunPod run for this job: adopt it while the job waits for one, else cancel what Easel no longer wants. */
export function recogniseRun(state: AssemblerState, schedule: Schedule, runpodJobId: string, now = Date.now()): RunRecognition {
  const job = state.job()!;
  if (job.runpod_job_id === runpodJobId) {
    if (isOver(job) && job.status !== "completed") schedule.due(`cancel:${runpodJobId}`, now);
    return "ours";
  }
  if (job.runpod_job_id === null && !isOver(job)) {
    state.updateJob({ runpod_job_id: runpodJobId });
    schedule.done("dispatch_unknown");
    return "adopted";
  }
  schedule.due(`cancel:${runpodJobId}`, now);
  return "unwanted";
}

export function dispatchUnconfirmed(state: AssemblerState, schedule: Schedule): string | null {
  schedule.done("dispatch_unknown");
  const job = state.job();
  if (!job || isOver(job) || job.runpod_job_id) return null;
  const minutes = Math.round(DISPATCH_CONFIRM_MS / 60_000);
  return `RunPod did not confirm the run within ${minutes} minutes of dispatch; a run that shows up later is canceled`;
}

export async function cancelRun(env: Env, state: AssemblerState, schedule: Schedule, name: WorkName, runpodJobId: string) {
  try {
    await cancelJob(env, state.job()!.type, runpodJobId);
    schedule.done(name);
  } catch (error) {
    // RunPod does not know the run (any more): there is nothing left to cancel.
    if (error instanceof RunpodError && error.status === 404) return schedule.done(name);
    const message = error instanceof Error ? error.message : String(error);
    const attempts = schedule.retry(name, message);
    if (attempts >= CANCEL_ATTEMPTS) {
      console.error(`job ${state.job()!.id}: giving up canceling RunPod run ${runpodJobId} after ${attempts} attempts: ${message}`);
      schedule.done(name);
    }
  }
}
