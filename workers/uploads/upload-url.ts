import { constantTimeEqual, toBase64Url } from "../services/hashing.js";
import { deriveBytes } from "../services/key-derivation.js";

/**
 * Signed upload URLs for the Worker's own upload route (stores that cannot presign): the URL is
 * the credential, like a presigned PUT, and binds the key, the content type, the exact byte size
 * and the expiry, so none of them can be changed without the signature failing.
 */
export type SignedUpload = { key: string; contentType: string; contentLength: number };

export const UPLOAD_ROUTE_PREFIX = "/api/uploads/";

async function signature(signingKey: string, upload: SignedUpload, expires: number): Promise<string> {
  const fields = [upload.key, upload.contentType, String(upload.contentLength), String(expires)];
  return toBase64Url(await deriveBytes(signingKey, "upload-url", fields.join("\u0000")));
}

/** `{base}/api/uploads/{owner}/{file}?expires=…&signature=…` for an `uploads/{owner}/{file}` key. */
export async function signUploadUrl(signingKey: string, baseUrl: string, upload: SignedUpload, expiresInSeconds: number, now = Date.now()) {
  const expires = Math.floor(now / 1000) + expiresInSeconds;
  const path = upload.key.replace(/^uploads\//, "");
  const url = `${baseUrl}${UPLOAD_ROUTE_PREFIX}${path}?expires=${expires}&signature=${await signature(signingKey, upload, expires)}`;
  return { url, expiresAt: new Date(expires * 1000).toISOString() };
}

export type UploadUrlCheck = "valid" | "expired" | "mismatch";

export async function verifyUploadUrl(
  signingKey: string,
  upload: SignedUpload,
  expires: string | undefined,
  given: string | undefined,
  now = Date.now(),
): Promise<UploadUrlCheck> {
  if (!expires || !given || !/^\d{1,12}$/.test(expires)) return "mismatch";
  if (!constantTimeEqual(await signature(signingKey, upload, Number(expires)), given)) return "mismatch";
  return Number(expires) * 1000 < now ? "expired" : "valid";
}
