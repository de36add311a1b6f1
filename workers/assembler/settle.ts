import { imageVerified } from "./apply-checked.js";
import { completeJob, endJob } from "./finish.js";
import type { AssemblerParts } from "./parts.js";
import type { Schedule } from "./schedule.js";
import { isOver, type AssemblerState, type ImageRecord } from "./state.js";

/** How long a completion that lists fewer images than asked for waits for the others (bounded by the deadline). */
export const COMPLETION_GRACE_MS = 60_000;

export type SettleResult = { done: boolean; lastError: string | null };

const describe = (error: unknown, what: string) => `${what}: ${error instanceof Error ? error.message : String(error)}`;

/**
 * Moves everything the JobAssembler holds as far as it can: legacy bytes into the bucket (from
 * `inHand` when the delivery brought them, else from their pieces), unverified announcements
 * through HEAD, completion when every image is there. Whatever fails stays kept. (D1 follows:
 * d1-sync.ts.)
 */
export async function settle(ctx: AssemblerParts, inHand: ReadonlyMap<number, Uint8Array> = new Map()): Promise<SettleResult> {
  const { state } = ctx;
  let lastError: string | null = null;
  const attempt = async (image: ImageRecord) => {
    try {
      await settleImage(ctx, image, inHand);
    } catch (error) {
      lastError = describe(error, `image ${image.idx}`);
      state.noteImageError(image.idx, lastError);
    }
  };
  if (state.job() && !isOver(state.job()!)) {
    const kept = state.images().filter((image) => image.state !== "verified");
    // HEADs run together; legacy uploads one at a time, each holding a whole image in memory.
    await Promise.all(kept.filter((image) => image.state === "pending_verify").map(attempt));
    for (const image of kept.filter((image) => image.state === "pending_upload")) await attempt(image);
    if (state.completion() !== undefined) ctx.transaction(() => reviewCompletion(state, ctx.schedule));
  }
  return { done: !state.images().some((image) => image.state !== "verified"), lastError };
}

async function settleImage(ctx: AssemblerParts, image: ImageRecord, inHand: ReadonlyMap<number, Uint8Array>) {
  const { state, pieces, store } = ctx;
  if (image.state === "pending_upload") {
    await store.upload(image.key, inHand.get(image.idx) ?? pieces.assemble(image.idx), image.content_type ?? "image/png");
    ctx.transaction(() => {
      pieces.delete(image.idx);
      state.putImage({ ...image, state: "verified" });
      imageVerified(state, image.idx);
    });
    return;
  }
  const head = await store.head(image.key);
  const reason = !head
    ? "object not in the bucket"
    : image.size && head.size !== image.size
      ? "size differs from the announcement"
      : head.size > ctx.maxImageBytes
        ? `object of ${head.size} bytes exceeds the maximum of ${ctx.maxImageBytes} bytes`
        : null;
  ctx.transaction(() => {
    if (reason) {
      state.deleteImage(image.idx);
      state.appendEvent("image_rejected", { index: image.idx, reason });
      return;
    }
    state.putImage({ ...image, size: image.size || head!.size, state: "verified" });
    imageVerified(state, image.idx);
  });
}

const expectedIndices = (expected: number) => Array.from({ length: expected }, (_, index) => index);

/**
 * After a completion: the job completes once every expected image is verified. Images never
 * announced get COMPLETION_GRACE_MS to arrive (see `completionGraceExpired`).
 */
function reviewCompletion(state: AssemblerState, schedule: Schedule, now = Date.now()) {
  const job = state.job();
  if (!job || isOver(job) || state.completion() === undefined) return;
  const verified = new Set(state.images().filter((image) => image.state === "verified").map((image) => image.idx));
  if (expectedIndices(job.expected).every((index) => verified.has(index))) return completeJob(state, schedule, job.expected);
  if (unannounced(state).length) schedule.due("completion_grace", Math.min(now + COMPLETION_GRACE_MS, job.deadline_at));
}

/** Expected indices with no image at all, verified or kept. */
export function unannounced(state: AssemblerState): number[] {
  const job = state.job()!;
  const announced = new Set(state.images().map((image) => image.idx));
  return expectedIndices(job.expected).filter((index) => !announced.has(index));
}

export function missingImagesReason(state: AssemblerState, missing: number[]): string {
  const job = state.job()!;
  return `the handler completed with ${job.expected - missing.length} of ${job.expected} images; missing ${missing.length === 1 ? "index" : "indices"} ${missing.join(", ")}`;
}

/** The grace is over: images never announced fail the job, the images that arrived stay on it. */
export function completionGraceExpired(state: AssemblerState, schedule: Schedule) {
  schedule.done("completion_grace");
  const job = state.job();
  if (!job || isOver(job)) return;
  const missing = unannounced(state);
  if (missing.length) endJob(state, schedule, "failed", missingImagesReason(state, missing));
}
