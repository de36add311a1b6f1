import { cancelJob, jobStatus } from "../services/runpod.js";
import { interpretRunpod } from "./runpod-signal.js";
import { TERMINAL, type AssemblerState } from "./state.js";
import type { EaselEvent } from "../../schema/contract/index.js";

/**
 * The job's deadline passed without an end: RunPod's status decides. Output it still holds is
 * recorded (after verification); otherwise the job ends failed, canceled or timed_out with the reason.
 */
export async function resolveAtDeadline(
  env: Env,
  state: AssemblerState,
  applyEvents: (events: EaselEvent[]) => Promise<void>,
  finalise: () => void,
): Promise<void> {
  const job = state.job()!;
  const end = (status: "failed" | "canceled" | "timed_out", reason: string) => {
    state.updateJob({ status, error: reason, completed_at: Date.now() });
    state.appendEvent(status, { error: reason });
  };
  if (!job.runpod_job_id) return end("timed_out", "deadline passed before the job reached RunPod");

  let signal;
  try {
    signal = interpretRunpod(await jobStatus(env, job.type, job.runpod_job_id));
  } catch (error) {
    return end("timed_out", `deadline passed and RunPod's status could not be read: ${(error as Error).message}`);
  }
  if (signal.kind === "end") return end(signal.status, signal.reason);
  if (signal.kind === "output") {
    await applyEvents(signal.events);
    finalise();
    if (TERMINAL.includes(state.job()!.status)) return;
    const recorded = state.images().filter((image) => image.state === "verified").length;
    return end("timed_out", `deadline passed with ${recorded} of ${job.expected} images recorded`);
  }
  await cancelJob(env, job.type, job.runpod_job_id).catch(() => undefined);
  end("timed_out", `deadline passed while RunPod reported ${signal.status}; canceled at RunPod`);
}
