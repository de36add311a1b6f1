import { TERMINAL } from "../assembler/state.js";
import { ApiError } from "../errors.js";
import { RunpodError, cancelJob } from "../services/runpod.js";
import { assemblerFor } from "./assembler-stub.js";
import { getOwnedJob } from "./job-view.js";

/** Cancels at RunPod first: a job Easel calls canceled must not keep a GPU busy. */
export async function cancelOwnedJob(env: Env, owner: string, id: string) {
  const job = await getOwnedJob(env, owner, id);
  if (TERMINAL.includes(job.status)) throw new ApiError("conflict", `job is already ${job.status}`);
  if (job.runpodJobId) {
    try {
      await cancelJob(env, job.type, job.runpodJobId);
    } catch (error) {
      if (error instanceof RunpodError) throw new ApiError("unavailable", `RunPod did not cancel the job: ${error.message}`);
      throw error;
    }
  }
  await assemblerFor(env, id).end("canceled", "canceled by the client");
}
