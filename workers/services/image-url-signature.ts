import { constantTimeEqual, toBase64Url } from "./hashing.js";
import { deriveBytes } from "./key-derivation.js";

/**
 * Signed display URLs for `GET /api/images/:id`, for stores that cannot presign: an `<img>` tag
 * sends no Authorization header, so the URL itself carries a short-lived proof of access.
 */
async function signature(signingKey: string, imageId: string, expires: number): Promise<string> {
  return toBase64Url(await deriveBytes(signingKey, "image-url", `${imageId}\u0000${expires}`));
}

export async function signImageUrl(signingKey: string, baseUrl: string, imageId: string, expiresInSeconds: number, now = Date.now()) {
  const expires = Math.floor(now / 1000) + expiresInSeconds;
  return `${baseUrl}/api/images/${imageId}?expires=${expires}&signature=${await signature(signingKey, imageId, expires)}`;
}

export async function verifyImageUrl(signingKey: string, imageId: string, expires: string, given: string, now = Date.now()): Promise<boolean> {
  const at = Number(expires);
  if (!/^\d{1,12}$/.test(expires) || at * 1000 < now) return false;
  return constantTimeEqual(await signature(signingKey, imageId, at), given);
}
