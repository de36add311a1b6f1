import type { EaselEvent } from "../../schema/contract/index.js";
import { outputKey } from "../services/object-keys.js";
import { checkEvent, conflictWithin, type CheckedBytes, type CheckedEvent } from "./check-events.js";
import { endJob } from "./finish.js";
import type { Rejection } from "./outcome.js";
import type { AssemblerParts } from "./parts.js";
import type { Pieces } from "./pieces.js";
import type { Schedule } from "./schedule.js";
import { isOver, type AssemblerState, type ImageSource } from "./state.js";

/** Where a delivery came from, and when it reached the Worker; `webhookId` is marked seen with it. */
export type DeliveryOrigin = { source: ImageSource; webhookId: string | null; receivedAt: number };

/** Every event is checked first (all the awaiting), then all are applied in one transaction: a bad delivery changes nothing. */
export async function checkAndApply(parts: AssemblerParts, events: EaselEvent[], origin: DeliveryOrigin): Promise<CheckedEvent[] | Rejection> {
  const { state, pieces, schedule } = parts;
  const job = state.job()!;
  const context = { state, pieces, store: parts.store, prefix: job.prefix, expected: job.expected, maxImageBytes: parts.maxImageBytes };
  // The checks read the state and write nothing: their HEADs run together.
  const results = await Promise.all(events.map((event) => checkEvent(context, event, origin.source)));
  const rejection = results.find((result): result is Rejection => "result" in result);
  if (rejection) return rejection;
  const checked = results as CheckedEvent[];
  const conflict = conflictWithin(checked);
  if (conflict) return conflict;
  parts.transaction(() => {
    for (const event of checked) {
      if (isOver(state.job()!)) break;
      applyChecked({ state, pieces, schedule, receivedAt: origin.receivedAt }, event);
    }
    if (origin.webhookId) state.markSeen(origin.webhookId);
  });
  return checked;
}

/** `receivedAt`: when the delivery reached the Worker (the job's metrics). */
type ApplyContext = { state: AssemblerState; pieces: Pieces; schedule: Schedule; receivedAt: number };

/**
 * Applies one checked event to the JobAssembler's storage. Synchronous: a delivery's events are
 * applied together inside one `transactionSync`. Bucket and D1 work follows in `settle`.
 */
function applyChecked({ state, pieces, schedule, receivedAt }: ApplyContext, event: CheckedEvent): void {
  const job = state.job()!;
  const markRunning = () => {
    if (job.status !== "queued") return;
    state.updateJob({ status: "running", started_at: receivedAt });
    state.queueClientWebhook("start");
  };
  switch (event.kind) {
    case "skip":
      return;
    case "progress": {
      const progress = Math.min(99, Math.max(job.progress, event.progress));
      state.updateJob({ progress });
      markRunning();
      state.appendEvent("progress", { progress, message: event.message });
      return;
    }
    case "image": {
      const { image } = event;
      state.putImage({
        idx: image.index,
        key: image.key,
        size: image.size,
        content_type: image.contentType ?? "image/png",
        width: image.width ?? null,
        height: image.height ?? null,
        sha256: image.sha256 ?? null,
        source: event.source,
        state: event.verified ? "verified" : "pending_verify",
        delivered_at: receivedAt,
      });
      if (event.lastError) state.noteImageError(image.index, event.lastError);
      markRunning();
      if (event.verified) imageVerified(state, image.index);
      return;
    }
    case "bytes":
      pieces.putWhole(event.index, event.whole.info.contentType, event.whole.bytes);
      keepBytes(state, job, event.index, event.whole, receivedAt);
      markRunning();
      return;
    case "chunk":
      pieces.put(event.index, event.chunk, event.chunks, event.contentType, event.bytes);
      if (event.whole) keepBytes(state, job, event.index, event.whole, receivedAt);
      markRunning();
      return;
    case "completed":
      state.setCompletion(event.indices);
      markRunning();
      return;
    case "failed":
      endJob(state, schedule, "failed", event.error);
      return;
  }
}

/** An image is on the job: its live event, and the client's webhook when asked for. */
export function imageVerified(state: AssemblerState, index: number) {
  state.appendEvent("image", { index });
  state.queueClientWebhook("image", index);
}

/** Legacy bytes, kept as pieces until `settle` has them in the bucket. */
function keepBytes(state: AssemblerState, job: { owner: string; id: string }, index: number, whole: CheckedBytes, receivedAt: number) {
  state.putImage({
    idx: index,
    key: outputKey(job.owner, job.id, index, whole.info.contentType),
    size: whole.bytes.byteLength,
    content_type: whole.info.contentType,
    width: whole.info.width,
    height: whole.info.height,
    sha256: whole.sha256,
    source: "legacy-bytes",
    state: "pending_upload",
    delivered_at: receivedAt,
  });
}

/** The whole images a delivery carried, to upload from memory instead of reassembling their pieces. */
export function bytesInHand(checked: CheckedEvent[]): Map<number, Uint8Array> {
  const inHand = new Map<number, Uint8Array>();
  for (const event of checked) {
    if (event.kind === "bytes") inHand.set(event.index, event.whole.bytes);
    if (event.kind === "chunk" && event.whole) inHand.set(event.index, event.whole.bytes);
  }
  return inHand;
}
