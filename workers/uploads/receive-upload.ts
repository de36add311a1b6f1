import { settings } from "../env.js";
import { ApiError } from "../errors.js";
import { isKeyUnder } from "../services/object-keys.js";
import { StoreUnavailableError, createObjectStore } from "../services/storage.js";
import { checkedImageBody } from "./checked-image-body.js";
import { verifyUploadUrl } from "./upload-url.js";

export type IncomingUpload = {
  owner: string;
  file: string;
  contentType: string | undefined;
  contentLength: string | undefined;
  expires: string | undefined;
  signature: string | undefined;
  body: ReadableStream<Uint8Array> | null;
};

/**
 * The Worker's upload route, for stores that cannot presign: checks the signed URL against the
 * request, then streams the body to `uploads/{owner}/{file}` (never whole in memory), refusing it
 * as soon as it is not an image or runs past its size.
 */
export async function receiveUpload(env: Env, upload: IncomingUpload): Promise<{ key: string; size: number; contentType: string }> {
  const key = `uploads/${upload.owner}/${upload.file}`;
  if (!isKeyUnder(key, `uploads/${upload.owner}/`)) throw new ApiError("not_found", "no such upload URL");
  const contentLength = declaredLength(upload.contentLength);
  const { maxImageBytes } = settings(env);
  if (contentLength > maxImageBytes) throw new ApiError("payload_too_large", `an image is at most ${maxImageBytes} bytes; Content-Length is ${contentLength}`);

  const contentType = upload.contentType ?? "";
  const check = await verifyUploadUrl(env.WEBHOOK_SIGNING_KEY, { key, contentType, contentLength }, upload.expires, upload.signature);
  if (check === "expired") throw new ApiError("forbidden", "this upload URL has expired; ask POST /api/uploads for a new one");
  if (check === "mismatch") {
    throw new ApiError("forbidden", "this upload URL's signature does not match: a changed URL, or a Content-Type or Content-Length other than the signed ones");
  }
  if (!upload.body) throw new ApiError("bad_request", "the request has no body");

  const body = await checkedImageBody(upload.body, contentLength, contentType);
  try {
    await createObjectStore(env).putStream(key, body.stream, { contentType, contentLength });
  } catch (error) {
    const problem = body.problem();
    if (problem) throw problem;
    if (error instanceof StoreUnavailableError) throw new ApiError("unavailable", "the object store is unavailable; upload again");
    throw error;
  }
  return { key, size: contentLength, contentType };
}

function declaredLength(header: string | undefined): number {
  if (header === undefined) throw new ApiError("bad_request", "send Content-Length: the upload URL is signed for an exact byte size");
  if (!/^\d{1,15}$/.test(header)) throw new ApiError("bad_request", "Content-Length is not a byte count");
  return Number(header);
}
