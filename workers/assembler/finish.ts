import { isFinalStatus, type FinalJobStatus } from "../../schema/contract/index.js";
import type { Schedule } from "./schedule.js";
import type { AssemblerState } from "./state.js";

/** Work that only a job still running needs; D1 sync ("settle") and RunPod cancels outlive the end. */
const RUNNING_WORK = ["deadline", "completion_grace", "dispatch_unknown"] as const;

// A URL's query can be a credential (a presigned signature, a token): reasons keep only the URL's path.
const URL_QUERY = /(https?:\/\/[^\s?#"'<>]+)\?[^\s"'<>]*/gi;

function withoutUrlQueries(text: string): string {
  return text.replace(URL_QUERY, "$1?…");
}

/**
 * Ends the job with its final event. Final means final: images still unverified are forgotten
 * (nothing is recorded on a job after its final event), and a RunPod run that may still be going
 * is canceled unless RunPod itself reported the end.
 */
export function endJob(
  state: AssemblerState,
  schedule: Schedule,
  status: Exclude<FinalJobStatus, "completed">,
  reason: string,
  options: { runpodReportedEnd?: boolean } = {},
) {
  const job = state.job();
  if (!job || isFinalStatus(job.status)) return;
  const error = withoutUrlQueries(reason).slice(0, 2000);
  state.dropUnverifiedImages();
  state.updateJob({ status, error, completed_at: Date.now() });
  state.appendEvent(status, { error });
  state.queueClientWebhook("completed");
  for (const name of RUNNING_WORK) schedule.done(name);
  schedule.due("settle", Date.now());
  if (job.runpod_job_id && !options.runpodReportedEnd) schedule.due(`cancel:${job.runpod_job_id}`, Date.now());
}

export function completeJob(state: AssemblerState, schedule: Schedule, images: number) {
  state.updateJob({ status: "completed", progress: 100, completed_at: Date.now() });
  state.appendEvent("completed", { images });
  state.queueClientWebhook("completed");
  for (const name of RUNNING_WORK) schedule.done(name);
  schedule.due("settle", Date.now());
}
