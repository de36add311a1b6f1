import { ObjectKey } from "../../schema/contract/common.js";

/**
 * The bucket key scheme (documented in docs/storage-layout.md):
 *   uploads/{ownerId}/{uuid}.{ext}       input images a client uploaded
 *   jobs/{ownerId}/{jobId}/{index}.{ext} images a job produced
 *   staging/{uuid}/{key}                 bytes on their way to `key` (ObjectStore.putStream)
 */

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/jpg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/avif": "avif",
};

const SAFE_ID = /^[A-Za-z0-9_-]+$/;

/** The file extension for a content type (parameters ignored); `bin` for types that are no known image. */
export function extensionFor(contentType: string): string {
  const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
  return EXTENSIONS[mediaType] ?? "bin";
}

export function uploadKey(ownerId: string, contentType: string): string {
  return `uploads/${safeId(ownerId, "owner id")}/${crypto.randomUUID()}.${extensionFor(contentType)}`;
}

export function stagingKey(key: string): string {
  return `staging/${crypto.randomUUID()}/${key}`;
}

export function jobPrefix(ownerId: string, jobId: string): string {
  return `jobs/${safeId(ownerId, "owner id")}/${safeId(jobId, "job id")}/`;
}

export function outputKey(ownerId: string, jobId: string, index: number, contentType: string): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`image index must be a non-negative integer, got ${index}`);
  return `${jobPrefix(ownerId, jobId)}${index}.${extensionFor(contentType)}`;
}

/**
 * Whether `key` is a valid object key strictly inside the folder `prefix`. The key is validated
 * first, so `..` segments cannot climb out; the prefix is read as a folder, so `jobs/a/job_10/x`
 * is not under `jobs/a/job_1`.
 */
export function isKeyUnder(key: string, prefix: string): boolean {
  if (!ObjectKey.safeParse(key).success) return false;
  const folder = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return key.startsWith(folder) && key.length > folder.length;
}

// Ids become path segments; one that is not already safe is a caller's bug, not user input.
function safeId(id: string, what: string): string {
  if (!SAFE_ID.test(id)) throw new TypeError(`${what} ${JSON.stringify(id)} is not [A-Za-z0-9_-]+`);
  return id;
}
