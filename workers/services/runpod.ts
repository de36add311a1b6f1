import type { HandlerInput } from "../../schema/contract/index.js";
import type { JobType } from "../../schema/d1.js";
import { settings } from "../env.js";

export class RunpodError extends Error {
  override name = "RunpodError";

  /**
   * `outcomeUnknown`: the call timed out, so RunPod may have acted on it (a /run may have queued
   * the job). `status`: RunPod's HTTP answer, when it gave one.
   */
  constructor(
    message: string,
    readonly outcomeUnknown = false,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

// RunPod keeps a job's record this long past the deadline, so the deadline's status read (and its
// retries) still finds it; the run itself cannot outlive the deadline (executionTimeout).
const RECORD_MARGIN_MS = 10 * 60_000;
const MIN_EXECUTION_TIMEOUT_MS = 5_000;
const MIN_TTL_MS = 10_000;

function endpointFor(env: Env, type: JobType): string {
  return type === "text-to-image" ? env.RUNPOD_ENDPOINT_TEXT_TO_IMAGE : env.RUNPOD_ENDPOINT_STYLE_TRANSFER;
}

export type RunpodStatus = {
  id: string;
  status: "IN_QUEUE" | "IN_PROGRESS" | "COMPLETED" | "FAILED" | "CANCELLED" | "TIMED_OUT";
  output?: unknown;
  error?: unknown;
};

async function call(env: Env, path: string, init: RequestInit = {}): Promise<unknown> {
  const url = `${settings(env).runpodApiBase}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { authorization: `Bearer ${env.RUNPOD_API_KEY}`, "content-type": "application/json" },
      signal: AbortSignal.timeout(settings(env).runpodTimeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    throw new RunpodError(`RunPod ${path.split("/")[3] ?? "request"} ${timedOut ? "timed out" : String(error)}`, timedOut);
  }
  const text = await response.text();
  if (!response.ok) throw new RunpodError(`RunPod answered ${response.status}: ${text.slice(0, 300)}`, false, response.status);
  try {
    return JSON.parse(text);
  } catch {
    throw new RunpodError(`RunPod answered ${response.status} with a body that is not JSON`);
  }
}

/**
 * `POST /v2/{endpoint}/run`: queues the job; RunPod calls `webhook` when it ends. RunPod starts
 * `executionTimeout` when a worker takes the job, so it is the time left until the deadline, not
 * the job's whole budget.
 */
export async function runJob(env: Env, type: JobType, input: HandlerInput, webhook: string, deadlineAt: number) {
  const left = deadlineAt - Date.now();
  const policy = { executionTimeout: Math.max(MIN_EXECUTION_TIMEOUT_MS, left), ttl: Math.max(MIN_TTL_MS, left + RECORD_MARGIN_MS) };
  const body = { input, webhook, policy };
  const result = (await call(env, `/v2/${endpointFor(env, type)}/run`, { method: "POST", body: JSON.stringify(body) })) as {
    id?: unknown;
  };
  if (typeof result.id !== "string") throw new RunpodError("RunPod's /run answer carries no job id");
  return result.id;
}

export async function cancelJob(env: Env, type: JobType, runpodJobId: string) {
  await call(env, `/v2/${endpointFor(env, type)}/cancel/${encodeURIComponent(runpodJobId)}`, { method: "POST" });
}

export async function jobStatus(env: Env, type: JobType, runpodJobId: string): Promise<RunpodStatus> {
  return (await call(env, `/v2/${endpointFor(env, type)}/status/${encodeURIComponent(runpodJobId)}`)) as RunpodStatus;
}
