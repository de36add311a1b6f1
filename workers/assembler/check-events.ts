import type { AnnouncedImage, EaselEvent } from "../../schema/contract/index.js";
import { decodeBase64 } from "../services/base64.js";
import { sniffImage, type ImageInfo } from "../services/image-info.js";
import { sha256Hex } from "../services/hashing.js";
import { isKeyUnder } from "../services/object-keys.js";
import type { ObjectStore } from "../services/storage.js";
import { reject, type Rejection } from "./outcome.js";
import { PIECE_BYTES, type Pieces } from "./pieces.js";
import type { AssemblerState, ImageSource } from "./state.js";

/** A whole legacy image, decoded and hashed in the check phase: applying it awaits nothing. */
export type CheckedBytes = { bytes: Uint8Array; info: ImageInfo; sha256: string };

/** An event that passed every check and can be applied without failing or awaiting. */
export type CheckedEvent =
  | { kind: "progress"; progress: number; message?: string }
  | { kind: "image"; image: AnnouncedImage & { size: number }; source: ImageSource; verified: boolean; lastError?: string }
  | { kind: "bytes"; index: number; whole: CheckedBytes }
  | { kind: "chunk"; index: number; chunk: number; chunks: number; contentType: string; bytes: Uint8Array; whole: CheckedBytes | null }
  | { kind: "completed"; indices: number[] | null }
  | { kind: "failed"; error: string }
  | { kind: "skip"; reason: string };

export type CheckContext = {
  state: AssemblerState;
  pieces: Pieces;
  store: ObjectStore;
  prefix: string;
  expected: number;
  maxImageBytes: number;
};

/** Checks one event against the job, the bucket and the limits; changes nothing. */
export async function checkEvent(ctx: CheckContext, event: EaselEvent, source: ImageSource): Promise<CheckedEvent | Rejection> {
  switch (event.kind) {
    case "progress":
    case "failed":
      return event;
    case "completed": {
      const outside = event.indices?.filter((index) => index >= ctx.expected) ?? [];
      if (outside.length) return reject("unprocessable", `the job has ${ctx.expected} images; completion lists index ${outside[0]}`);
      return event;
    }
    case "image":
      return checkAnnouncedImage(ctx, event.image, source);
    case "image_bytes":
      return checkBytes(ctx, event.index, event.data);
    case "image_chunk":
      return checkChunk(ctx, event);
  }
}

/** Checks see the stored state, not each other: one delivery must not announce an index with two keys. */
export function conflictWithin(checked: CheckedEvent[]): Rejection | null {
  const keys = new Map<number, string>();
  for (const event of checked) {
    if (event.kind !== "image") continue;
    const earlier = keys.get(event.image.index);
    if (earlier !== undefined && earlier !== event.image.key) {
      return reject("conflict", `image ${event.image.index} is announced twice in one delivery, with different keys`);
    }
    keys.set(event.image.index, event.image.key);
  }
  return null;
}

function checkIndex(ctx: CheckContext, index: number): Rejection | null {
  return index < ctx.expected ? null : reject("unprocessable", `image index ${index} is out of range: the job has ${ctx.expected} images`);
}

async function checkAnnouncedImage(ctx: CheckContext, image: AnnouncedImage, source: ImageSource): Promise<CheckedEvent | Rejection> {
  const badIndex = checkIndex(ctx, image.index);
  if (badIndex) return badIndex;
  if (!isKeyUnder(image.key, ctx.prefix)) {
    return reject("unprocessable", `key ${JSON.stringify(image.key)} is outside the job's prefix ${ctx.prefix}`, { path: "key" });
  }
  const existing = ctx.state.image(image.index);
  if (existing && existing.key === image.key && existing.state === "verified") return { kind: "skip", reason: "image already recorded" };
  if (existing && existing.key !== image.key) {
    return reject("conflict", `image ${image.index} is already recorded with another key`);
  }
  if (image.size !== undefined && image.size > ctx.maxImageBytes) return tooLarge(image.size, ctx.maxImageBytes);
  let head;
  try {
    head = await ctx.store.head(image.key);
  } catch (error) {
    // Whatever kept the HEAD from answering (a store down, refusing us, or answering oddly) is
    // retried by the alarm: the announcement is kept, unverified, with the reason.
    const lastError = `image ${image.index}: ${error instanceof Error ? error.message : String(error)}`;
    return { kind: "image", image: { ...image, size: image.size ?? 0 }, source, verified: false, lastError };
  }
  if (!head) return reject("unprocessable", `object ${image.key} is not in the bucket`, { path: "key" });
  if (image.size !== undefined && head.size !== image.size) {
    return reject("unprocessable", `object ${image.key} holds ${head.size} bytes, the handler announced ${image.size}`, { path: "size" });
  }
  if (head.size > ctx.maxImageBytes) return tooLarge(head.size, ctx.maxImageBytes);
  const contentType = image.contentType ?? head.contentType ?? "image/png";
  return { kind: "image", image: { ...image, contentType, size: head.size }, source, verified: true };
}

async function checkBytes(ctx: CheckContext, index: number, data: string): Promise<CheckedEvent | Rejection> {
  const badIndex = checkIndex(ctx, index);
  if (badIndex) return badIndex;
  if (ctx.state.image(index)?.state === "verified") return { kind: "skip", reason: "image already recorded" };
  const bytes = decodeBase64(data);
  if (!bytes || bytes.byteLength === 0) return reject("bad_request", "data is not valid base64", { path: "data" });
  if (bytes.byteLength > ctx.maxImageBytes) return tooLarge(bytes.byteLength, ctx.maxImageBytes);
  const info = sniffImage(bytes);
  if (!info) return reject("unprocessable", "data is not a PNG, JPEG or WebP image", { path: "data" });
  return { kind: "bytes", index, whole: { bytes, info, sha256: await sha256Hex(bytes) } };
}

async function checkChunk(ctx: CheckContext, event: Extract<EaselEvent, { kind: "image_chunk" }>): Promise<CheckedEvent | Rejection> {
  const badIndex = checkIndex(ctx, event.index);
  if (badIndex) return badIndex;
  if (ctx.state.image(event.index)) return { kind: "skip", reason: "image already assembled" };
  if (ctx.pieces.has(event.index, event.chunk)) return { kind: "skip", reason: "chunk already received" };
  const bytes = decodeBase64(event.data);
  if (!bytes || bytes.byteLength === 0) return reject("bad_request", "data is not valid base64", { path: "data" });
  if (bytes.byteLength > PIECE_BYTES) return reject("payload_too_large", `a chunk holds at most ${PIECE_BYTES} bytes`);
  const summary = ctx.pieces.summary(event.index);
  if (summary && summary.chunks !== event.chunks) {
    return reject("conflict", `image ${event.index} was announced in ${summary.chunks} chunks, not ${event.chunks}`);
  }
  const total = (summary?.bytes ?? 0) + bytes.byteLength;
  if (total > ctx.maxImageBytes) return tooLarge(total, ctx.maxImageBytes);
  const completes = (summary?.received ?? 0) + 1 === event.chunks;
  let whole: CheckedBytes | null = null;
  if (completes) {
    // Assembled once, here: the same bytes are hashed now and uploaded after the apply.
    const assembled = ctx.pieces.assemble(event.index, { chunk: event.chunk, bytes });
    const info = sniffImage(assembled);
    if (!info) return reject("unprocessable", "the assembled chunks are not a PNG, JPEG or WebP image", { path: "data" });
    whole = { bytes: assembled, info, sha256: await sha256Hex(assembled) };
  }
  return { kind: "chunk", index: event.index, chunk: event.chunk, chunks: event.chunks, contentType: event.contentType, bytes, whole };
}

function tooLarge(size: number, max: number): Rejection {
  return reject("payload_too_large", `image of ${size} bytes exceeds the maximum of ${max} bytes`);
}
