import { ApiError } from "../errors.js";
import { constantTimeEqual, toBase64Url } from "./hashing.js";

const encoder = new TextEncoder();

/**
 * What a per-job value is derived for. Each purpose is its own HMAC input, so knowing one value
 * (a token leaked in a URL log or RunPod's console) tells nothing about another (the job's signing
 * secret, or the other route's token).
 */
export type JobDerivation = "webhook-secret" | "callback-token" | "runpod-token" | "image-url" | "upload-url" | "client-webhook-secret";

/** Which route a URL token opens: legacy handlers' callbacks, or RunPod's own webhook. */
export type TokenRoute = "legacy-callback" | "runpod";

const TOKEN_DERIVATION: Record<TokenRoute, JobDerivation> = { "legacy-callback": "callback-token", runpod: "runpod-token" };

// The signing key imported once per isolate (and per key, should the deployment's key change).
const importedKeys = new Map<string, Promise<CryptoKey>>();

function importSigningKey(signingKey: string): Promise<CryptoKey> {
  let key = importedKeys.get(signingKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(signingKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    importedKeys.set(signingKey, key);
  }
  return key;
}

/** HMAC-SHA256 of `easel/<purpose>/v1 NUL jobId` under the deployment's signing key: 32 bytes. */
export async function deriveJobBytes(signingKey: string, purpose: JobDerivation, jobId: string): Promise<Uint8Array> {
  if (!signingKey) throw new ApiError("internal", "WEBHOOK_SIGNING_KEY is not configured");
  const key = await importSigningKey(signingKey);
  // The NUL keeps label and job id apart: no job id can make one purpose's input equal another's.
  const label = encoder.encode(`easel/${purpose}/v1\u0000${jobId}`);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, label));
}

/** The per-job token carried as `?token=` by callers that cannot sign, one per route. */
export async function deriveCallbackToken(signingKey: string, jobId: string, route: TokenRoute): Promise<string> {
  return toBase64Url(await deriveJobBytes(signingKey, TOKEN_DERIVATION[route], jobId));
}

export async function verifyCallbackToken(signingKey: string, jobId: string, route: TokenRoute, token: string): Promise<boolean> {
  return constantTimeEqual(await deriveCallbackToken(signingKey, jobId, route), token);
}
