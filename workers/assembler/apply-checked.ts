import { outputKey } from "../services/object-keys.js";
import { sha256Hex } from "../services/hashing.js";
import type { CheckedEvent } from "./check-events.js";
import type { Pieces } from "./pieces.js";
import type { AssemblerState, JobRecord } from "./state.js";

/** Applies one checked event to the JobAssembler's storage. Bucket and D1 work follows in `settle`. */
export async function applyChecked(state: AssemblerState, pieces: Pieces, job: JobRecord, event: CheckedEvent): Promise<void> {
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
      if (job.status === "queued") state.updateJob({ status: "running" });
      if (event.verified) state.appendEvent("image", { index: image.index });
      return;
    }
    case "bytes":
      await keepBytes(state, pieces, job, event.index, event.bytes, event.info);
      return;
    case "chunk":
      if (event.assembled) {
        pieces.delete(event.index);
        await keepBytes(state, pieces, job, event.index, event.assembled.bytes, event.assembled.info);
      } else {
        pieces.put(event.index, event.chunk, event.chunks, event.contentType, event.bytes);
      }
      return;
    case "completed":
      state.setCompletion(event.indices);
      if (job.status === "queued") state.updateJob({ status: "running" });
      return;
    case "failed":
      state.updateJob({ status: "failed", error: event.error, completed_at: Date.now() });
      state.appendEvent("failed", { error: event.error });
      return;
  }
}

async function keepBytes(
  state: AssemblerState,
  pieces: Pieces,
  job: JobRecord,
  index: number,
  bytes: Uint8Array,
  info: { contentType: string; width: number; height: number },
) {
  pieces.putWhole(index, info.contentType, bytes);
  state.putImage({
    idx: index,
    key: outputKey(job.owner, job.id, index, info.contentType),
    size: bytes.byteLength,
    content_type: info.contentType,
    width: info.width,
    height: info.height,
    sha256: await sha256Hex(bytes),
    source: "legacy-bytes",
    state: "pending_upload",
  });
  if (job.status === "queued") state.updateJob({ status: "running" });
}
