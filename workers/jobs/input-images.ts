import { ApiError } from "../errors.js";
import { IMAGE_HEAD_BYTES, imageTypeOf } from "../services/image-info.js";
import { isKeyUnder } from "../services/object-keys.js";
import type { ObjectStore } from "../services/storage.js";

type FieldIssue = { path: string; message: string };

/**
 * A style transfer's input images, checked before any GPU time is spent on them: each is one of
 * the caller's uploads, is in the bucket, is within the size limit, and starts like an image (its
 * first bytes, read with a ranged GET). Else 422 naming each field that failed. (A store that is
 * down is the app's 503: app.onError.)
 */
export async function requireInputImages(
  store: ObjectStore,
  owner: string,
  inputs: { style_image: string; content_image: string },
  maxImageBytes: number,
): Promise<void> {
  const checks = [
    ["input.style_image", inputs.style_image],
    ["input.content_image", inputs.content_image],
  ] as const;
  const issues = (await Promise.all(checks.map(([path, key]) => inputIssue(store, owner, path, key, maxImageBytes)))).filter(
    (issue): issue is FieldIssue => issue !== null,
  );
  if (issues.length) {
    throw new ApiError("unprocessable", issues.map((issue) => `${issue.path} ${issue.message}`).join("; "), issues);
  }
}

async function inputIssue(store: ObjectStore, owner: string, path: string, key: string, maxImageBytes: number): Promise<FieldIssue | null> {
  if (!isKeyUnder(key, `uploads/${owner}/`)) return { path, message: "is not one of your uploads" };
  const head = await store.head(key);
  if (!head) return { path, message: "was not uploaded: no object at this key" };
  if (head.size > maxImageBytes) return { path, message: `is ${head.size} bytes, over the ${maxImageBytes}-byte maximum for an image` };
  if (head.size === 0) return NOT_AN_IMAGE(path);
  const start = await store.get(key, { headers: { range: `bytes=0-${IMAGE_HEAD_BYTES - 1}` } });
  if (!start.ok) {
    await start.body?.cancel();
    return { path, message: "was not uploaded: no object at this key" };
  }
  // A store that ignores Range sends the whole object: read only its first bytes.
  const bytes = await firstBytes(start.body, IMAGE_HEAD_BYTES);
  return imageTypeOf(bytes) ? null : NOT_AN_IMAGE(path);
}

const NOT_AN_IMAGE = (path: string) => ({ path, message: "is not a PNG, JPEG or WebP image" });

async function firstBytes(body: ReadableStream<Uint8Array> | null, count: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const bytes = new Uint8Array(count);
  let length = 0;
  while (length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    const piece = value.subarray(0, count - length);
    bytes.set(piece, length);
    length += piece.byteLength;
  }
  await reader.cancel().catch(() => undefined);
  return bytes.subarray(0, length);
}
