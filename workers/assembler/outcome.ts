import type { EaselEvent } from "../../schema/contract/index.js";
import type { ErrorCode } from "../errors.js";
import type { JobStatus } from "../../schema/d1.js";
import type { CheckedEvent } from "./check-events.js";
import type { SettleResult } from "./settle.js";
import type { AssemblerState } from "./state.js";

/** Details that survive the RPC boundary: which field, and why. */
export type RejectionDetails = { path: string; message?: string } | { path: string; message: string }[];

/** What a delivery did. Crosses the RPC boundary as plain data; the route turns rejections into errors. */
export type DeliveryOutcome =
  | { result: "applied" | "duplicate" | "ignored"; status: JobStatus; detail?: string }
  | { result: "kept"; status: JobStatus; detail: string }
  | { result: "rejected"; code: ErrorCode; message: string; details?: RejectionDetails };

export type Rejection = Extract<DeliveryOutcome, { result: "rejected" }>;

export function reject(code: ErrorCode, message: string, details?: RejectionDetails): Rejection {
  return { result: "rejected", code, message, ...(details === undefined ? {} : { details }) };
}

/** How a delivery that was applied ends: kept (retried by the alarm) while its work is unfinished, else applied or a duplicate. */
export function appliedOutcome(status: JobStatus, applied: CheckedEvent[], settled: SettleResult): DeliveryOutcome {
  if (!settled.done) return { result: "kept", status, detail: `kept and retried: ${settled.lastError ?? "not finished"}` };
  const duplicate = applied.length > 0 && applied.every((event) => event.kind === "skip");
  return { result: duplicate ? "duplicate" : "applied", status };
}

/** A job that ended takes nothing more: a redelivery of what a completed job recorded is a duplicate, the rest is ignored. */
export function afterTheEnd(state: AssemblerState, events: EaselEvent[]): DeliveryOutcome {
  const job = state.job()!;
  const recorded = (event: EaselEvent) => {
    if (event.kind === "completed") return true;
    if (event.kind !== "image") return false;
    const image = state.image(event.image.index);
    return image?.state === "verified" && image.key === event.image.key;
  };
  if (job.status === "completed" && events.some((event) => event.kind === "image") && events.every(recorded)) {
    return { result: "duplicate", status: job.status };
  }
  return { result: "ignored", status: job.status, detail: `job is ${job.status}` };
}
