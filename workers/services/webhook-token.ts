import { constantTimeEqual, toBase64Url } from "./hashing.js";
import { deriveBytes, type Derivation } from "./key-derivation.js";

/** Which route a URL token opens: legacy handlers' callbacks, or RunPod's own webhook. */
export type TokenRoute = "legacy-callback" | "runpod";

const TOKEN_DERIVATION: Record<TokenRoute, Derivation> = { "legacy-callback": "callback-token", runpod: "runpod-token" };

/** The per-job token carried as `?token=` by callers that cannot sign, one per route. */
export async function deriveCallbackToken(signingKey: string, jobId: string, route: TokenRoute): Promise<string> {
  return toBase64Url(await deriveBytes(signingKey, TOKEN_DERIVATION[route], jobId));
}

export async function verifyCallbackToken(signingKey: string, jobId: string, route: TokenRoute, token: string): Promise<boolean> {
  return constantTimeEqual(await deriveCallbackToken(signingKey, jobId, route), token);
}
