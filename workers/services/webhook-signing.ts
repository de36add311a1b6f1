import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { ApiError } from "../errors.js";
import { deriveJobBytes, verifyCallbackToken } from "./webhook-token.js";

export { deriveCallbackToken, verifyCallbackToken } from "./webhook-token.js";

/** Same tolerance as the standardwebhooks library, which enforces it too. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export type WebhookHeaders = { "webhook-id": string; "webhook-timestamp": string; "webhook-signature": string };

export type WebhookAuth = { method: "signature"; webhookId: string } | { method: "token"; webhookId: string | null };

export type VerifyWebhookInput = {
  signingKey: string;
  jobId: string;
  headers: Pick<Headers, "get">;
  /** The raw body, exactly as received: the signature covers its bytes, not its JSON. */
  body: string;
  token?: string | null;
};

/** The job's Standard Webhooks secret, `whsec_` + base64 of 32 bytes, handed to the handler. */
export async function deriveJobWebhookSecret(signingKey: string, jobId: string): Promise<string> {
  const bytes = await deriveJobBytes(signingKey, "webhook-secret", jobId);
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
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

/**
 * A signed request must verify, whatever else it carries; only an unsigned one may fall back to
 * the URL token. Throws ApiError("unauthorized") otherwise.
 */
export async function verifyWebhook(input: VerifyWebhookInput): Promise<WebhookAuth> {
  const { headers } = input;
  const webhookId = headers.get("webhook-id");
  const signature = headers.get("webhook-signature");
  if (signature !== null) {
    const secret = await deriveJobWebhookSecret(input.signingKey, input.jobId);
    return { method: "signature", webhookId: verifyWebhookSignature(secret, headers, input.body) };
  }
  if (input.token === undefined || input.token === null) {
    throw unauthorized("webhook carries neither a webhook-signature header nor a callback token");
  }
  if (!(await verifyCallbackToken(input.signingKey, input.jobId, input.token))) {
    throw unauthorized("callback token is not valid for this job");
  }
  return { method: "token", webhookId: webhookId || null };
}

/** Standard Webhooks verification under one secret; returns the verified webhook-id. */
export function verifyWebhookSignature(secret: string, headers: Pick<Headers, "get">, body: string): string {
  const webhookId = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp");
  const signature = headers.get("webhook-signature") ?? "";
  if (!webhookId) throw unauthorized("signed webhook has no webhook-id header");
  // The signed content is `id.timestamp.body`: a dot in the id would make that split ambiguous.
  if (webhookId.includes(".")) throw unauthorized("webhook-id must not contain '.'");
  if (timestamp === null) throw unauthorized("signed webhook has no webhook-timestamp header");
  checkTimestamp(timestamp);
  try {
    new Webhook(secret).verify(body, { "webhook-id": webhookId, "webhook-timestamp": timestamp, "webhook-signature": signature }, { jsonParse: false });
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
