import { inject } from "vitest";
import type { Dispatched } from "./api.js";

const base = () => `http://127.0.0.1:${inject("runpodPort")}`;

/** What the Worker sent to RunPod's `/run` for this job: the contract-v1 handler input. */
export async function dispatchedRun(jobId: string): Promise<Dispatched> {
  const response = await fetch(`${base()}/_test/runs/${encodeURIComponent(jobId)}`);
  if (!response.ok) throw new Error(`no RunPod run recorded for ${jobId}`);
  return (await response.json()) as Dispatched;
}

/** The ids of the jobs of `owner` that reached RunPod's `/run`. */
export async function dispatchedJobIds(owner: string): Promise<string[]> {
  const response = await fetch(`${base()}/_test/runs?owner=${encodeURIComponent(owner)}`);
  return ((await response.json()) as { jobIds: string[] }).jobIds;
}

/** Sets what RunPod's `/status/{id}` answers for a run. */
export async function setRunpodStatus(runpodId: string, status: unknown) {
  await fetch(`${base()}/_test/status/${runpodId}`, { method: "POST", body: JSON.stringify(status) });
}
