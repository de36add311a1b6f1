import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { ApiError } from "../errors.js";
import { deriveWebhookSecret } from "./key-derivation.js";
import { verifyCallbackToken, type TokenRoute } from "./webhook-token.js";

export { deriveCallbackToken, verifyCallbackToken, type TokenRoute } from "./webhook-token.js";

/** Same tolerance as the standardwebhooks library, which enforces it too. */
const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type WebhookHeaders = { "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string };

/** How a webhook request says who sent it, read from its headers and URL before its body. */
export type WebhookCredential = { kind: "signature" } | { kind: "token"; token: string };

/** The job's Standard Webhooks secret, `whsec_` + base64 of 32 bytes, handed to the handler. */
export function deriveJobWebhookSecret(signingKey: string, jobId: string): Promise<string> {
  return deriveWebhookSecret(signingKey, "webhook-secret", jobId);
}

export function signWebhook(input: { secret: string; webhookId: string; timestamp?: Date; body: string }): WebhookHeaders {
  const timestamp = input.timestamp ?? new Date();
  return {
    "webhook-id": input.webhookId,
    "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
    "webhook-signature": new Webhook(input.secret).sign(input.webhookId, timestamp, input.body),
  };
}

const unauthorized = (message: string) => new ApiError("unauthorized", message);

/** A request carrying a signature is a signed one, whatever else it carries; else its URL token; else 401. */
export function webhookCredential(headers: Pick<Headers, "get">, token: string | null | undefined): WebhookCredential {
  if (headers.get("webhook-signature") !== null) return { kind: "signature" };
  if (token !== undefined && token !== null) return { kind: "token", token };
  throw unauthorized("webhook carries neither a webhook-signature header nor a callback token");
}

export async function requireCallbackToken(signingKey: string, jobId: string, route: TokenRoute, token: string): Promise<void> {
  if (!(await verifyCallbackToken(signingKey, jobId, route, token))) throw unauthorized("callback token is not valid for this job");
}

// fatal: a signed body that is not UTF-8 is refused rather than altered; ignoreBOM keeps a leading
// BOM in the text, so the text encodes back to exactly the bytes that were signed.
const exactUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Verifies a signed request on its raw bytes with the job's secret; returns the verified
 * webhook-id and the body as text (a leading UTF-8 BOM dropped). Throws ApiError("unauthorized").
 */
export async function verifySignedWebhook(input: { signingKey: string; jobId: string; headers: Pick<Headers, "get">; body: Uint8Array }) {
  let text: string;
  try {
    text = exactUtf8.decode(input.body);
  } catch {
    throw unauthorized("signed webhook body is not UTF-8");
  }
  const webhookId = verifyWith(await jobVerifier(input.signingKey, input.jobId), input.headers, text);
  return { webhookId, text: text.replace(/^\uFEFF/, "") };
}

// A job's webhooks keep coming to the same isolate: its verifier (the derived secret, decoded) is
// kept, the most recently used first out of mind when there are too many.
const VERIFIERS_KEPT = 1_000;
const verifiers = new Map<string, { signingKey: string; verifier: Webhook }>();

async function jobVerifier(signingKey: string, jobId: string): Promise<Webhook> {
  const kept = verifiers.get(jobId);
  if (kept && kept.signingKey === signingKey) {
    verifiers.delete(jobId);
    verifiers.set(jobId, kept);
    return kept.verifier;
  }
  const verifier = new Webhook(await deriveJobWebhookSecret(signingKey, jobId));
  verifiers.set(jobId, { signingKey, verifier });
  if (verifiers.size > VERIFIERS_KEPT) verifiers.delete(verifiers.keys().next().value!);
  return verifier;
}

/** Standard Webhooks verification under one secret; returns the verified webhook-id. */
export function verifyWebhookSignature(secret: string, headers: Pick<Headers, "get">, body: string): string {
  return verifyWith(new Webhook(secret), headers, body);
}

function verifyWith(verifier: Webhook, headers: Pick<Headers, "get">, body: string): string {
  const webhookId = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp");
  const signature = headers.get("webhook-signature") ?? "";
  if (!webhookId) throw unauthorized("signed webhook has no webhook-id header");
  // The signed content is `id.timestamp.body`: a dot in the id would make that split ambiguous.
  if (webhookId.includes(".")) throw unauthorized("webhook-id must not contain '.'");
  if (timestamp === null) throw unauthorized("signed webhook has no webhook-timestamp header");
  checkTimestamp(timestamp);
  try {
    verifier.verify(body, { "webhook-id": webhookId, "webhook-timestamp": timestamp, "webhook-signature": signature }, { jsonParse: false });
  } catch (error) {
    if (error instanceof WebhookVerificationError) throw unauthorized(`webhook-signature does not verify with the job's secret (${error.message})`);
    throw error;
  }
  return webhookId;
}

/** Stricter than the library (which accepts `parseInt` prefixes) and with messages a sender can act on. */
function checkTimestamp(header: string): void {
  if (!/^\d{1,12}$/.test(header)) throw unauthorized("webhook-timestamp is not Unix time in whole seconds");
  const age = Math.floor(Date.now() / 1000) - Number(header);
  if (age > WEBHOOK_TOLERANCE_SECONDS) throw unauthorized("webhook-timestamp is more than 5 minutes old");
  if (-age > WEBHOOK_TOLERANCE_SECONDS) throw unauthorized("webhook-timestamp is more than 5 minutes in the future");
}
