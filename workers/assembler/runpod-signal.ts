import { HandlerResult, type EaselEvent } from "../../schema/contract/index.js";
import type { RunpodStatus } from "../services/runpod.js";
import type { JobChanges } from "./state.js";

export type RunpodSignal =
  | { kind: "output"; events: EaselEvent[] }
  | { kind: "end"; status: "failed" | "canceled" | "timed_out"; reason: string }
  | { kind: "running"; status: string };

/** What RunPod's view of a job (its webhook, or `/status`) means for the Easel job. */
export function interpretRunpod(payload: Pick<RunpodStatus, "status" | "output" | "error">): RunpodSignal {
  switch (payload.status) {
    case "COMPLETED": {
      const result = HandlerResult.safeParse(payload.output);
      if (!result.success) return { kind: "output", events: [{ kind: "completed", indices: null }] };
      const events: EaselEvent[] = result.data.images.map((image) => ({
        kind: "image",
        image: {
          index: image.index, key: image.key, size: image.size, contentType: image.content_type,
          width: image.width, height: image.height, sha256: image.sha256,
        },
      }));
      events.push({ kind: "completed", indices: result.data.images.map((image) => image.index) });
      return { kind: "output", events };
    }
    case "FAILED":
      return { kind: "end", status: "failed", reason: `RunPod reported the job failed: ${describeError(payload.error ?? payload.output)}` };
    case "CANCELLED":
      return { kind: "end", status: "canceled", reason: "RunPod canceled the job" };
    case "TIMED_OUT":
      return { kind: "end", status: "timed_out", reason: "RunPod timed the job out" };
    default:
      return { kind: "running", status: payload.status };
  }
}

function describeError(error: unknown): string {
  if (typeof error === "string") return error.slice(0, 500);
  if (error && typeof error === "object" && "error" in error) return describeError((error as { error: unknown }).error);
  return JSON.stringify(error ?? "no reason given").slice(0, 500);
}

/** RunPod's own times for the run (its webhook's `delayTime` and `executionTime`), as the job's metrics. */
export function runpodTimes(payload: { delayTime?: number; executionTime?: number }): JobChanges {
  const times: JobChanges = {};
  if (payload.delayTime !== undefined) times.runpod_delay_ms = Math.round(payload.delayTime);
  if (payload.executionTime !== undefined) times.runpod_execution_ms = Math.round(payload.executionTime);
  return times;
}
