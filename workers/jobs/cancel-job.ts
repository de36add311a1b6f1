import { isFinalStatus } from "../../schema/contract/index.js";
import { ApiError, notFound } from "../errors.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { getOwnedJob } from "./job-view.js";

/**
 * Cancels at RunPod first: a job Easel calls canceled must not keep a GPU busy. The JobAssembler
 * does both, since it knows the RunPod id and whether the job ended meanwhile; D1 may lag it.
 */
export async function cancelOwnedJob(env: Env, owner: string, id: string) {
  const job = await getOwnedJob(env, owner, id);
  if (isFinalStatus(job.status)) throw new ApiError("conflict", `job is already ${job.status}`);
  const outcome = await assemblerFor(env, id).cancel("canceled by the client");
  switch (outcome.result) {
    case "canceled":
      return;
    case "ended":
      throw new ApiError("conflict", `job is already ${outcome.status}`);
    case "runpod_unavailable":
      throw new ApiError("unavailable", `RunPod did not cancel the job: ${outcome.message}`);
    case "missing":
      throw notFound("job");
  }
}
