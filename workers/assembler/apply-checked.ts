import { outputKey } from "../services/object-keys.js";
import type { CheckedBytes, CheckedEvent } from "./check-events.js";
import { endJob } from "./finish.js";
import type { Pieces } from "./pieces.js";
import type { Schedule } from "./schedule.js";
import type { AssemblerState } from "./state.js";

export type ApplyContext = { state: AssemblerState; pieces: Pieces; schedule: Schedule };

/**
 * Applies one checked event to the JobAssembler's storage. Synchronous: a delivery's events are
 * applied together inside one `transactionSync`. Bucket and D1 work follows in `settle`.
 */
export function applyChecked({ state, pieces, schedule }: ApplyContext, event: CheckedEvent): void {
  const job = state.job()!;
  const markRunning = () => {
    if (job.status === "queued") state.updateJob({ status: "running" });
  };
  switch (event.kind) {
    case "skip":
      return;
    case "progress": {
      const progress = Math.min(99, Math.max(job.progress, event.progress));
      state.updateJob({ progress, ...(job.status === "queued" ? { status: "running" } : {}) });
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
      });
      if (event.lastError) state.noteImageError(image.index, event.lastError);
      markRunning();
      if (event.verified) state.appendEvent("image", { index: image.index });
      return;
    }
    case "bytes":
      pieces.putWhole(event.index, event.whole.info.contentType, event.whole.bytes);
      keepBytes(state, job, event.index, event.whole);
      markRunning();
      return;
    case "chunk":
      pieces.put(event.index, event.chunk, event.chunks, event.contentType, event.bytes);
      if (event.whole) keepBytes(state, job, event.index, event.whole);
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

/** Legacy bytes, kept as pieces until `settle` has them in the bucket. */
function keepBytes(state: AssemblerState, job: { owner: string; id: string }, index: number, whole: CheckedBytes) {
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
