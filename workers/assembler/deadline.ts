import type { EaselEvent } from "../../schema/contract/index.js";
import { jobStatus } from "../services/runpod.js";
import { endJob } from "./finish.js";
import { interpretRunpod } from "./runpod-signal.js";
import type { Schedule } from "./schedule.js";
import { missingImagesReason, unannounced } from "./settle.js";
import { isOver, type AssemblerState } from "./state.js";

/** RunPod's status is read this many times (on the alarm's backoff) at the deadline before the job ends without it. */
const DEADLINE_STATUS_ATTEMPTS = 5;

export type DeadlineContext = {
  env: Env;
  state: AssemblerState;
  schedule: Schedule;
  /** Settles what the JobAssembler holds (kept images, a completion they complete). */
  settle: () => Promise<{ lastError: string | null }>;
  /** Checks and applies RunPod's output as a delivery. */
  applyOutput: (events: EaselEvent[]) => Promise<void>;
};

/**
 * The job's deadline passed without an end. What was received is settled first; then RunPod's
 * status decides: its output is recorded, its end is the job's, a run still going is canceled.
 */
export async function runDeadline(ctx: DeadlineContext): Promise<void> {
  const { env, state, schedule } = ctx;
  const settled = await ctx.settle();
  const job = state.job()!;
  if (isOver(job)) return;
  if (!job.runpod_job_id) {
    const reason = job.dispatch_started_at === null ? "deadline passed before the job reached RunPod" : "deadline passed before RunPod confirmed the run";
    return endJob(state, schedule, "timed_out", reason);
  }
  let status;
  try {
    status = await jobStatus(env, job.type, job.runpod_job_id);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const attempts = schedule.retry("deadline", message);
    if (attempts < DEADLINE_STATUS_ATTEMPTS) return;
    return endJob(state, schedule, "timed_out", `deadline passed and RunPod's status could not be read in ${attempts} attempts (${message}); canceled at RunPod`);
  }
  const signal = interpretRunpod(status);
  if (signal.kind === "end") return endJob(state, schedule, signal.status, signal.reason, { runpodReportedEnd: true });
  if (signal.kind === "output") {
    await ctx.applyOutput(signal.events);
    if (!isOver(state.job()!)) endIncomplete(state, schedule, settled.lastError);
    return;
  }
  endJob(state, schedule, "timed_out", `deadline passed while RunPod reported ${signal.status}, ${recorded(state, settled.lastError)}; canceled at RunPod`);
}

/** "k of n images recorded", and what was kept unverified, with the last error that kept it. */
function recorded(state: AssemblerState, lastError: string | null): string {
  const verified = state.images().filter((image) => image.state === "verified").length;
  const kept = state.images().length - verified;
  const keptNote = kept ? `; ${kept} announced but not verified (${lastError ?? "not yet checked"})` : "";
  return `${verified} of ${state.job()!.expected} images recorded${keptNote}`;
}

/** The deadline ends a job that still lacks images: what is missing, and why, is its reason. */
function endIncomplete(state: AssemblerState, schedule: Schedule, lastError: string | null) {
  const missing = unannounced(state);
  if (state.completion() !== undefined && missing.length) return endJob(state, schedule, "failed", missingImagesReason(state, missing));
  endJob(state, schedule, "timed_out", `deadline passed with ${recorded(state, lastError)}`);
}
