import { signWebhook } from "./webhook-signing.js";

/** One attempt's result: delivered; worth retrying (timeouts, 408, 429, 5xx); or refused for good (other answers). */
export type SendResult =
  | { outcome: "delivered"; status: number; durationMs: number }
  | { outcome: "retry"; status: number | null; durationMs: number; retryAfterMs: number | null; error: string }
  | { outcome: "failed"; status: number; durationMs: number; error: string };

export type SignedWebhook = {
  url: string;
  /** Standard Webhooks `webhook-id`: the same on every attempt, so the receiver can dedupe. */
  webhookId: string;
  body: string;
  /** Each secret adds a signature (a rotation signs with the old and the new one). */
  secrets: string[];
  timeoutMs?: number;
};

const SEND_TIMEOUT_MS = 10_000;
/** Only this much of an answer is read: the status is what counts, and a receiver must not make Easel read megabytes. */
const READ_LIMIT_BYTES = 1024;
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * POSTs one signed delivery: no redirect followed, a short timeout, a small read of the answer.
 * Its errors never carry the URL, which may hold the client's own token.
 */
export async function sendSignedWebhook(webhook: SignedWebhook): Promise<SendResult> {
  const timeoutMs = webhook.timeoutMs ?? SEND_TIMEOUT_MS;
  const timestamp = new Date();
  const signatures = webhook.secrets.map((secret) => signWebhook({ secret, webhookId: webhook.webhookId, timestamp, body: webhook.body }));
  const headers = {
    ...signatures[0]!,
    "webhook-signature": signatures.map((signed) => signed["webhook-signature"]).join(" "),
    "content-type": "application/json",
    "user-agent": "Easel-Webhooks/1",
  };
  const started = Date.now();
  let response: Response;
  try {
    response = await fetch(webhook.url, {
      method: "POST", headers, body: webhook.body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs),
    });
    await readAtMost(response, READ_LIMIT_BYTES);
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const error_ = timedOut ? `no answer within ${timeoutMs} ms` : `could not reach the endpoint (${describe(error, webhook.url)})`;
    return { outcome: "retry", status: null, durationMs: Date.now() - started, retryAfterMs: null, error: error_ };
  }
  return classify(response, Date.now() - started);
}

function classify(response: Response, durationMs: number): SendResult {
  const { status } = response;
  if (status >= 200 && status < 300) return { outcome: "delivered", status, durationMs };
  if (status === 408 || status === 429 || status >= 500) {
    return { outcome: "retry", status, durationMs, retryAfterMs: retryAfterMs(response.headers.get("retry-after")), error: `answered ${status}` };
  }
  const why = status >= 300 && status < 400 ? `answered ${status} (redirects are not followed)` : `answered ${status}`;
  return { outcome: "failed", status, durationMs, error: why };
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (header === null) return null;
  const value = header.trim();
  const ms = /^\d{1,10}$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : null;
}

async function readAtMost(response: Response, limit: number): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  let read = 0;
  while (read < limit) {
    const chunk = await reader.read();
    if (chunk.done) return;
    read += chunk.value.byteLength;
  }
  await reader.cancel();
}

function describe(error: unknown, url: string): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split(url).join("<webhook>").replace(/https?:\/\/\S+/g, "<url>").slice(0, 200);
}
