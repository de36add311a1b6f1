import type { z } from "zod";
import type { CreateUploadRequest, Upload } from "../../schema/contract/index.js";
import { settings } from "../env.js";
import { ApiError } from "../errors.js";
import { uploadKey } from "../services/object-keys.js";
import { createObjectStore } from "../services/storage.js";
import { recordUpload } from "../services/upload-retention.js";
import { signUploadUrl } from "./upload-url.js";

const UPLOAD_URL_SECONDS = 15 * 60;

/**
 * Where the client PUTs an input image: a presigned PUT straight to the bucket, or, when the store
 * cannot presign, the Worker's own signed upload route. The same two steps for the client either way.
 */
export async function uploadTarget(
  env: Env,
  { owner, apiKeyId }: { owner: string; apiKeyId: string },
  request: z.infer<typeof CreateUploadRequest>,
): Promise<z.infer<typeof Upload>> {
  const { contentType, contentLength } = request;
  const { maxImageBytes, publicBaseUrl } = settings(env);
  if (contentLength > maxImageBytes) {
    const message = `an image is at most ${maxImageBytes} bytes; contentLength is ${contentLength}`;
    throw new ApiError("payload_too_large", message, [{ path: "contentLength", message }]);
  }
  const key = uploadKey(owner, contentType);
  // Recorded first, so that an upload no job uses is deleted by the retention sweep.
  await recordUpload(env, { key, owner, apiKeyId, contentType, contentLength });
  const store = createObjectStore(env);
  if (store.capabilities.canPresign) {
    const put = await store.presignPut(key, { contentType, contentLength, expiresInSeconds: UPLOAD_URL_SECONDS });
    return { key, url: put.url, method: "PUT", headers: put.headers, expiresAt: put.expiresAt };
  }
  const { url, expiresAt } = await signUploadUrl(env.WEBHOOK_SIGNING_KEY, publicBaseUrl, { key, contentType, contentLength }, UPLOAD_URL_SECONDS);
  return { key, url, method: "PUT", headers: { "content-type": contentType, "content-length": String(contentLength) }, expiresAt };
}
