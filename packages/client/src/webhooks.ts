import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { EaselError } from "./errors.js";
import type { Job } from "./types.js";

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string {
  if (headers instanceof Headers) return headers.get(name) ?? "";
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

/**
 * Checks an Easel webhook (Standard Webhooks: signature over `id.timestamp.body`, 5 minutes of
 * tolerance) with your key's secret (`GET /api/webhooks/secret`) and returns the job it carries.
 * `body` is the raw request body, exactly as received. Dedupe on the `webhook-id` header.
 */
export function verifyWebhook(headers: WebhookHeaders, body: string, secret: string): Job {
  const names = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;
  const signed = Object.fromEntries(names.map((name) => [name, header(headers, name)]));
  try {
    return new Webhook(secret).verify(body, signed) as Job;
  } catch (error) {
    if (error instanceof WebhookVerificationError) throw new EaselError("invalid_signature", `webhook does not verify: ${error.message}`, 401);
    throw error;
  }
}
