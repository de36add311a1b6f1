import type { z } from "zod";
import { VOLUME_MOUNT_PATH } from "./common.js";
import { WEBHOOK_EVENT_TYPES, WebhookEvent, type ImageMetadata } from "./events.js";
import {
  LegacyImageMessage,
  LegacyStatusMessage,
  type LegacyCompletion,
  type LegacyImageFields,
} from "./legacy.js";

/** One internal event: what a JobAssembler applies, whatever shape the handler sent. */
export type AnnouncedImage = {
  index: number;
  key: string;
  size?: number;
  contentType?: string;
  width?: number;
  height?: number;
  sha256?: string;
};

export type EaselEvent =
  | { kind: "progress"; progress: number; message?: string }
  | { kind: "image"; image: AnnouncedImage; totalImages?: number }
  | { kind: "image_bytes"; index: number; data: string; contentType: string; totalImages?: number }
  | { kind: "image_chunk"; index: number; chunk: number; chunks: number; data: string; contentType: string }
  | { kind: "completed"; indices: number[] | null }
  | { kind: "failed"; error: string };

export type FieldIssue = { path: string; message: string };

export type Normalised =
  | { ok: true; shape: "contract" | "legacy"; jobId: string | undefined; runpodJobId?: string; events: EaselEvent[] }
  | { ok: false; issues: FieldIssue[] };

const VOLUME_MOUNT = new RegExp(`^${VOLUME_MOUNT_PATH}/`);
const S3_URL = /^s3:\/\/[^/]+\//;

const asRecord = (body: unknown) =>
  typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;

/** A body in the contract's shape (its `type` names a contract event), valid or not: it must come signed. */
export function isContractShaped(body: unknown): boolean {
  const type = asRecord(body)?.type;
  return typeof type === "string" && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(type);
}

export function normaliseWebhook(body: unknown): Normalised {
  const record = asRecord(body);
  if (!record) return { ok: false, issues: [{ path: "", message: "expected a JSON object" }] };

  if (isContractShaped(record)) {
    const parsed = WebhookEvent.safeParse(record);
    if (!parsed.success) return fail(parsed.error);
    const { job_id: jobId, runpod_job_id: runpodJobId } = parsed.data;
    return { ok: true, shape: "contract", jobId, ...(runpodJobId ? { runpodJobId } : {}), events: fromContract(parsed.data) };
  }
  if ("status" in record) {
    const parsed = LegacyStatusMessage.safeParse(record);
    if (!parsed.success) return fail(parsed.error);
    const message = parsed.data;
    const events: EaselEvent[] =
      message.status === "COMPLETED"
        ? normaliseLegacyCompletion(message)
        : message.status === "IN_PROGRESS"
          ? [{ kind: "progress", progress: message.progress, message: message.message }]
          : [{ kind: "failed", error: message.error }];
    return { ok: true, shape: "legacy", jobId: message.job_id, events };
  }
  const parsed = LegacyImageMessage.safeParse(record);
  if (!parsed.success) return fail(parsed.error);
  const event = normaliseLegacyImage(parsed.data);
  if ("issue" in event) return { ok: false, issues: [event.issue] };
  return { ok: true, shape: "legacy", jobId: parsed.data.job_id, events: [event] };
}

function fromContract(event: WebhookEvent): EaselEvent[] {
  switch (event.type) {
    case "progress":
      return [{ kind: "progress", progress: event.progress, message: event.message }];
    case "image":
      return [{ kind: "image", image: fromMetadata(event.image), totalImages: event.total_images }];
    case "completed":
      // The completion lists every image in full: an image whose own webhook was lost is recorded from it.
      return [
        ...event.images.map((image): EaselEvent => ({ kind: "image", image: fromMetadata(image) })),
        { kind: "completed", indices: event.images.map((image) => image.index) },
      ];
    case "failed":
      return [{ kind: "failed", error: event.error }];
  }
}

function fromMetadata(image: ImageMetadata): AnnouncedImage {
  const { index, key, size, content_type, width, height, sha256 } = image;
  return { index, key, size, contentType: content_type, width, height, sha256 };
}

function normaliseLegacyImage(message: LegacyImageMessage): EaselEvent | { issue: FieldIssue } {
  const fields: LegacyImageFields = { ...message, ...message.image };
  const index = message.image_index ?? message.index;
  if (index === undefined) return { issue: { path: "image_index", message: "image_index or index is required" } };
  const contentType = legacyContentType(fields);
  const totalImages = message.total_images;

  if (message.chunks !== undefined || message.chunk !== undefined) {
    if (message.chunks === undefined || message.chunk === undefined || !fields.data) {
      return { issue: { path: "chunk", message: "a chunk needs chunk, chunks and data" } };
    }
    if (message.chunk >= message.chunks) return { issue: { path: "chunk", message: "chunk must be below chunks" } };
    return { kind: "image_chunk", index, chunk: message.chunk, chunks: message.chunks, data: fields.data, contentType };
  }
  const key = legacyKey(fields);
  if (key) return { kind: "image", image: { index, key, size: fields.fileSize ?? undefined, contentType }, totalImages };
  if (fields.data) return { kind: "image_bytes", index, data: fields.data, contentType, totalImages };
  return { issue: { path: "s3Key", message: "an image needs s3Key, networkVolumePath or data" } };
}

/** A legacy handler's completion: keys by position in any of its lists, bytes only where no key exists. */
export function normaliseLegacyCompletion(message: LegacyCompletion): EaselEvent[] {
  const lists = [message.network_volume_paths, message.s3Keys, message.networkVolumePaths];
  const count = Math.max(0, ...lists.map((list) => list?.length ?? 0), message.images?.length ?? 0);
  const events: EaselEvent[] = [];
  const indices: number[] = [];
  for (let index = 0; index < count; index++) {
    const entries = lists.map((list) => list?.[index]).filter((entry) => entry !== undefined);
    const fields = entries.map(asFields);
    const withKey = fields.find((entry) => legacyKey(entry));
    const image = message.images?.[index];
    if (withKey) {
      const size = fields.find((entry) => entry.fileSize != null)?.fileSize ?? undefined;
      events.push({ kind: "image", image: { index, key: legacyKey(withKey)!, size, contentType: legacyContentType(withKey) } });
    } else if (image !== undefined) {
      const imageFields = asBytes(image);
      if (!imageFields.data) continue;
      events.push({ kind: "image_bytes", index, data: imageFields.data, contentType: legacyContentType(imageFields) });
    } else {
      continue;
    }
    indices.push(index);
  }
  events.push({ kind: "completed", indices: count === 0 ? null : indices });
  return events;
}

function asFields(entry: string | LegacyImageFields): LegacyImageFields {
  return typeof entry === "string" ? { s3Key: entry } : entry;
}

function asBytes(entry: string | LegacyImageFields): LegacyImageFields {
  return typeof entry === "string" ? { data: entry } : entry;
}

/** The object key a legacy handler meant: an S3 key, or a volume path whose mount is stripped. */
export function legacyKey(fields: LegacyImageFields): string | undefined {
  const raw = fields.s3Key || fields.networkVolumePath;
  if (!raw) return undefined;
  return raw.replace(S3_URL, "").replace(VOLUME_MOUNT, "");
}

// A Map, not an object literal: a sender's "__proto__" or "constructor" must not find Object's own properties.
const FORMAT_TYPES = new Map([
  ["png", "image/png"],
  ["jpg", "image/jpeg"],
  ["jpeg", "image/jpeg"],
  ["webp", "image/webp"],
]);

export function legacyContentType(fields: LegacyImageFields): string {
  const format = fields.format?.toLowerCase().replace(/^image\//, "");
  const extension = fields.filename?.split(".").pop()?.toLowerCase();
  return FORMAT_TYPES.get(format ?? "") ?? FORMAT_TYPES.get(extension ?? "") ?? "image/png";
}

function fail(error: z.ZodError): Normalised {
  return { ok: false, issues: error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })) };
}
