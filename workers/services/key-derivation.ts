import { ApiError } from "../errors.js";

const encoder = new TextEncoder();

/**
 * What a value is derived from the deployment's signing key for. Each purpose is its own HMAC
 * input, so knowing one value (a token leaked in a URL log or RunPod's console) tells nothing about
 * another (a job's signing secret, the other route's token, a client's webhook secret).
 */
export type Derivation = "webhook-secret" | "callback-token" | "runpod-token" | "image-url" | "upload-url" | "client-webhook-secret";

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

/** HMAC-SHA256 of `easel/<purpose>/v1 NUL subject` under the deployment's signing key: 32 bytes. `subject` is a job id, or the fields a signature binds. */
export async function deriveBytes(signingKey: string, purpose: Derivation, subject: string): Promise<Uint8Array> {
  if (!signingKey) throw new ApiError("internal", "WEBHOOK_SIGNING_KEY is not configured");
  const key = await importSigningKey(signingKey);
  // The NUL keeps label and subject apart: no subject can make one purpose's input equal another's.
  const label = encoder.encode(`easel/${purpose}/v1\u0000${subject}`);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, label));
}

/** A derived Standard Webhooks secret: `whsec_` + base64 of the 32 bytes. */
export async function deriveWebhookSecret(signingKey: string, purpose: "webhook-secret" | "client-webhook-secret", subject: string): Promise<string> {
  const bytes = await deriveBytes(signingKey, purpose, subject);
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
