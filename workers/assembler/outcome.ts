import type { ErrorCode } from "../errors.js";
import type { JobStatus } from "../../schema/d1.js";

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
