import type { ObjectStore } from "../services/storage.js";
import { syncToD1 } from "./d1-sync.js";
import type { Pieces } from "./pieces.js";
import { TERMINAL, type AssemblerState } from "./state.js";

export type SettleResult = { done: boolean; lastError: string | null };

/**
 * Moves everything the JobAssembler holds as far as it can: legacy bytes into the bucket,
 * unverified announcements through HEAD, completion when every listed image is there, then D1.
 * Whatever fails stays kept for the next attempt.
 */
export async function settle(env: Env, state: AssemblerState, pieces: Pieces, store: ObjectStore): Promise<SettleResult> {
  let lastError: string | null = null;
  for (const image of state.images()) {
    if (image.state === "verified") continue;
    try {
      if (image.state === "pending_upload") {
        await store.upload(image.key, pieces.assemble(image.idx), image.content_type ?? "image/png");
        pieces.delete(image.idx);
      } else {
        const head = await store.head(image.key);
        if (!head || (image.size && head.size !== image.size)) {
          state.deleteImage(image.idx);
          state.appendEvent("image_rejected", { index: image.idx, reason: head ? "size differs from the announcement" : "object not in the bucket" });
          continue;
        }
        if (!image.size) image.size = head.size;
      }
      state.putImage({ ...image, state: "verified" });
      state.appendEvent("image", { index: image.idx });
    } catch (error) {
      lastError = describe(error, `image ${image.idx}`);
      state.noteImageError(image.idx, lastError);
    }
  }

  finaliseIfComplete(state);

  try {
    await syncToD1(env, state);
  } catch (error) {
    lastError = describe(error, "D1");
  }
  const job = state.job();
  const unfinished = state.images().some((image) => image.state !== "verified" || !image.synced) || (job !== null && !job.synced);
  return { done: !unfinished, lastError };
}

export function finaliseIfComplete(state: AssemblerState) {
  const job = state.job();
  const listed = state.completion();
  if (!job || listed === undefined || TERMINAL.includes(job.status)) return;
  const wanted = listed ?? Array.from({ length: job.expected }, (_, index) => index);
  const verified = new Set(state.images().filter((image) => image.state === "verified").map((image) => image.idx));
  if (!wanted.every((index) => verified.has(index))) return;
  state.updateJob({ status: "completed", progress: 100, completed_at: Date.now() });
  state.appendEvent("completed", { images: wanted.length });
}

function describe(error: unknown, what: string): string {
  return `${what}: ${error instanceof Error ? error.message : String(error)}`;
}
