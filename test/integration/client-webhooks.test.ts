import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { Job } from "../../schema/contract/index.js";
import { clientWebhookId, deliverClientWebhook } from "../../workers/services/client-webhooks.js";
import { retryAfterMs, sendSignedWebhook } from "../../workers/services/webhook-sender.js";
import { api, bearer, createApiKey, createJob, getJob, postJson, textToImage } from "../helpers/api.js";
import { hookUrl, receivedBy, scriptAnswers } from "../helpers/webhook-receiver.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async function webhookSecret(key: string): Promise<string> {
  const response = await api("/api/webhooks/secret", { headers: bearer(key) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { key: string }).key;
}

const verifies = (secret: string, received: { headers: Record<string, string>; body: string }) => {
  try {
    new Webhook(secret).verify(received.body, received.headers);
    return true;
  } catch {
    return false;
  }
};

describe("GET /api/webhooks/secret and POST /api/webhooks/secret/rotate", () => {
  it("gives each API key its own whsec_ secret, the same until rotated", async () => {
    const key = await createApiKey("secret_owner");
    const other = await createApiKey("secret_owner");
    const secret = await webhookSecret(key);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(await webhookSecret(key)).toBe(secret);
    expect(await webhookSecret(other)).not.toBe(secret);

    const rotated = await api("/api/webhooks/secret/rotate", { method: "POST", headers: bearer(key) });
    expect(rotated.status).toBe(200);
    const fresh = ((await rotated.json()) as { key: string }).key;
    expect(fresh).not.toBe(secret);
    expect(await webhookSecret(key)).toBe(fresh);
    expect(await webhookSecret(other)).not.toBe(fresh);
  });

  it("answers 401 without a key and changes nothing", async () => {
    expect((await api("/api/webhooks/secret")).status).toBe(401);
    expect((await api("/api/webhooks/secret/rotate", { method: "POST" })).status).toBe(401);
  });
});

describe("sendSignedWebhook, against a real HTTP receiver", () => {
  const send = (name: string, extra: { timeoutMs?: number; secrets?: string[] } = {}) =>
    sendSignedWebhook({ url: hookUrl(name), webhookId: `msg_${name}`, body: '{"id":"job_x"}', secrets: extra.secrets ?? [SECRET], timeoutMs: extra.timeoutMs });

  it("delivers on 2xx with Standard Webhooks headers that verify", async () => {
    expect(await send("ok")).toMatchObject({ outcome: "delivered", status: 200 });
    const [received] = await receivedBy("ok");
    expect(received!.headers["webhook-id"]).toBe("msg_ok");
    expect(received!.headers["content-type"]).toBe("application/json");
    expect(received!.body).toBe('{"id":"job_x"}');
    expect(verifies(SECRET, received!)).toBe(true);
  });

  it("signs with every secret given, so both verify during a rotation", async () => {
    const other = "whsec_" + btoa("another secret of 32 bytes......");
    await send("two-secrets", { secrets: [SECRET, other] });
    const [received] = await receivedBy("two-secrets");
    expect(received!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(verifies(SECRET, received!)).toBe(true);
    expect(verifies(other, received!)).toBe(true);
  });

  it("retries on 5xx, 408 and 429, honouring Retry-After", async () => {
    await scriptAnswers("busy", [{ status: 503 }, { status: 429, headers: { "retry-after": "7" } }, { status: 408 }]);
    expect(await send("busy")).toMatchObject({ outcome: "retry", status: 503, retryAfterMs: null });
    expect(await send("busy")).toMatchObject({ outcome: "retry", status: 429, retryAfterMs: 7000 });
    expect(await send("busy")).toMatchObject({ outcome: "retry", status: 408 });
  });

  it("gives up on other 4xx, and on a redirect, which it does not follow", async () => {
    await scriptAnswers("gone", [{ status: 410 }, { status: 400 }]);
    expect(await send("gone")).toMatchObject({ outcome: "failed", status: 410 });
    expect(await send("gone")).toMatchObject({ outcome: "failed", status: 400 });
    await scriptAnswers("moved", [{ status: 302, headers: { location: hookUrl("moved-target") } }]);
    expect(await send("moved")).toMatchObject({ outcome: "failed", status: 302, error: expect.stringMatching(/redirects are not followed/) });
    expect(await receivedBy("moved-target")).toEqual([]);
  });

  it("retries after a timeout, with no status", async () => {
    await scriptAnswers("hangs", [{ status: 200, hang: true }]);
    expect(await send("hangs", { timeoutMs: 300 })).toMatchObject({ outcome: "retry", status: null, error: "no answer within 300 ms" });
  });

  it("reads only the start of a large answer", async () => {
    await scriptAnswers("chatty", [{ status: 200, bodyBytes: 8 * 1024 * 1024 }]);
    expect(await send("chatty")).toMatchObject({ outcome: "delivered", status: 200 });
  });

  it("retries when nothing listens, and its error does not carry the URL or its token", async () => {
    const result = await sendSignedWebhook({ url: "http://127.0.0.1:9/hook?token=client-secret-token", webhookId: "msg_refused", body: "{}", secrets: [SECRET] });
    expect(result).toMatchObject({ outcome: "retry", status: null });
    expect(JSON.stringify(result)).not.toContain("client-secret-token");
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Mon, 30 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("soon", now)).toBeNull();
    expect(retryAfterMs(null, now)).toBeNull();
  });
});

describe("deliverClientWebhook", () => {
  it("POSTs the job as GET shows it, under one webhook-id across retries, and shows every attempt on the job", async () => {
    const key = await createApiKey("deliver_owner");
    const job = await createJob(key, { ...textToImage("webhook me", 1), webhook: hookUrl("deliver-retries"), webhook_events: ["start", "completed"] });
    expect(job.webhook).toEqual({ url: hookUrl("deliver-retries"), events: ["start", "completed"], deliveries: [] });
    await scriptAnswers("deliver-retries", [{ status: 500 }, { status: 500 }]);
    const webhookId = clientWebhookId(job.id, "completed");
    const outcomes = [];
    for (let attempt = 1; attempt <= 3; attempt++) outcomes.push(await deliverClientWebhook(env, { jobId: job.id, event: "completed", webhookId, attempt }));
    expect(outcomes.map((outcome) => outcome.outcome)).toEqual(["retry", "retry", "delivered"]);

    const received = await receivedBy("deliver-retries");
    expect(received.map((request) => request.headers["webhook-id"])).toEqual([webhookId, webhookId, webhookId]);
    const secret = await webhookSecret(key);
    for (const request of received) {
      expect(verifies(secret, request)).toBe(true);
      expect(JSON.parse(request.body)).toMatchObject({ id: job.id, type: "text-to-image", status: job.status, webhook: { url: hookUrl("deliver-retries") } });
    }
    const shown = (await getJob(key, job.id)).webhook!.deliveries;
    expect(shown.map(({ webhookId: id, event, attempt, status, outcome }) => ({ id, event, attempt, status, outcome }))).toEqual([
      { id: webhookId, event: "completed", attempt: 1, status: 500, outcome: "retry" },
      { id: webhookId, event: "completed", attempt: 2, status: 500, outcome: "retry" },
      { id: webhookId, event: "completed", attempt: 3, status: 200, outcome: "delivered" },
    ]);
    for (const attempt of shown) {
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(attempt.attemptedAt)).not.toBeNaN();
    }
  });

  it("sends nothing for an event the job did not ask for, or for a job without a webhook", async () => {
    const key = await createApiKey("deliver_skip");
    const job = await createJob(key, { ...textToImage("only completed", 1), webhook: hookUrl("deliver-skip") });
    expect(job.webhook?.events).toEqual(["completed"]);
    expect(await deliverClientWebhook(env, { jobId: job.id, event: "start", webhookId: clientWebhookId(job.id, "start"), attempt: 1 })).toMatchObject({ outcome: "skipped" });
    const plain = await createJob(key, textToImage("no webhook", 1));
    expect(await deliverClientWebhook(env, { jobId: plain.id, event: "completed", webhookId: clientWebhookId(plain.id, "completed"), attempt: 1 })).toMatchObject({ outcome: "skipped" });
    expect(await receivedBy("deliver-skip")).toEqual([]);
    expect((await getJob(key, job.id)).webhook!.deliveries).toEqual([]);
  });

  it("signs with the old and the new secret for a while after a rotation", async () => {
    const key = await createApiKey("deliver_rotate");
    const old = await webhookSecret(key);
    const job = await createJob(key, { ...textToImage("rotate", 1), webhook: hookUrl("deliver-rotate") });
    const fresh = ((await (await api("/api/webhooks/secret/rotate", { method: "POST", headers: bearer(key) })).json()) as { key: string }).key;
    await deliverClientWebhook(env, { jobId: job.id, event: "completed", webhookId: clientWebhookId(job.id, "completed"), attempt: 1 });
    const [received] = await receivedBy("deliver-rotate");
    expect(verifies(fresh, received!)).toBe(true);
    expect(verifies(old, received!)).toBe(true);
  });

  it("gives stable ids per event and image", () => {
    expect(clientWebhookId("job_1", "start")).toBe("job_1_start");
    expect(clientWebhookId("job_1", "image", 3)).toBe("job_1_image_3");
    expect(clientWebhookId("job_1", "completed")).toBe("job_1_completed");
  });
});

describe("POST /api/jobs with a webhook", () => {
  it("refuses a bad webhook with 400 naming the field, and records nothing", async () => {
    const key = await createApiKey("webhook_invalid");
    const cases: [unknown, string][] = [
      [{ ...textToImage("x", 1), webhook: "ftp://example.com/hook" }, "webhook"],
      [{ ...textToImage("x", 1), webhook: "http://example.com/hook" }, "webhook"],
      [{ ...textToImage("x", 1), webhook: "https://user:pass@example.com/hook" }, "webhook"],
      [{ ...textToImage("x", 1), webhook_events: ["completed"] }, "webhook_events"],
      [{ ...textToImage("x", 1), webhook: "https://example.com/hook", webhook_events: ["finished"] }, "webhook_events.0"],
      [{ ...textToImage("x", 1), webhook: "https://example.com/hook", webhook_events: [] }, "webhook_events"],
    ];
    for (const [body, path] of cases) {
      const response = await postJson("/api/jobs", body, bearer(key));
      expect(response.status, JSON.stringify(body)).toBe(400);
      const { error } = (await response.json()) as { error: { details: { path: string }[] } };
      expect(error.details.map((issue) => issue.path)).toContain(path);
    }
    const list = (await (await api("/api/jobs", { headers: bearer(key) })).json()) as { jobs: Job[] };
    expect(list.jobs).toHaveLength(0);
  });
});
