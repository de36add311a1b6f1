import { EaselClient, EaselError, type Job } from "@easel/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver } from "../node/webhook-receiver.js";
import type { ReceivedWebhook } from "../helpers/webhook-receiver.js";
import { adminClient, clientFor, stack } from "./support.js";

let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const hookUrl = (name: string) => `http://127.0.0.1:${receiver.port}/hooks/${name}`;

const received = async (name: string): Promise<ReceivedWebhook[]> =>
  (await fetch(`http://127.0.0.1:${receiver.port}/_test/received/${name}`)).json() as Promise<ReceivedWebhook[]>;

async function script(name: string, statuses: number[]) {
  await fetch(`http://127.0.0.1:${receiver.port}/_test/script/${name}`, { method: "POST", body: JSON.stringify(statuses.map((status) => ({ status }))) });
}

/** Waits until `name` has received `count` requests (the JobAssembler's alarm sends them, with backoff). */
async function receivedAtLeast(name: string, count: number, timeoutMs = 60_000): Promise<ReceivedWebhook[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await received(name);
    if (got.length >= count) return got;
    if (Date.now() > until) throw new Error(`${name} received ${got.length} of ${count} webhooks in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let api: EaselClient;
let secret: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  api = await clientFor("e2e-client-webhooks");
  secret = await api.webhooks.secret();
});

afterAll(async () => {
  await receiver.close();
});

describe("webhooks to the client's own backend, through the whole stack", () => {
  it("deliver start, each image and completed, in order, each signed with the key's secret and carrying the job", async () => {
    const created = await api.jobs.create({
      type: "text-to-image",
      input: { prompt: "a heron in the reeds", width: 256, height: 256, num_images: 2 },
      webhook: hookUrl("every-event"),
      webhook_events: ["start", "image", "completed"],
    });
    const ended = await api.jobs.wait(created.id);
    expect(ended.status).toBe("completed");

    const deliveries = await receivedAtLeast("every-event", 4);
    expect(deliveries).toHaveLength(4);
    const jobs: Job[] = deliveries.map((delivery) => api.webhooks.verify(delivery.headers, delivery.body, secret));
    const ids = deliveries.map((delivery) => delivery.headers["webhook-id"]);
    // In the order the changes happened: the start, the two images (verified in either order), the end.
    expect(ids[0]).toBe(`${created.id}_start`);
    expect(new Set(ids.slice(1, 3))).toEqual(new Set([`${created.id}_image_0`, `${created.id}_image_1`]));
    expect(ids[3]).toBe(`${created.id}_completed`);
    expect(jobs.every((job) => job.id === created.id)).toBe(true);
    expect(jobs[3]!.status).toBe("completed");
    expect(jobs[3]!.images).toHaveLength(2);
    expect(() => api.webhooks.verify(deliveries[0]!.headers, deliveries[0]!.body.replace("heron", "crane"), secret)).toThrow(EaselError);
  });

  it("retry a delivery the receiver failed, under one webhook-id, and show every attempt and the metrics on the job", async () => {
    await script("flaky", [500, 500]);
    const created = await api.jobs.create({
      type: "text-to-image",
      input: { prompt: "a lighthouse", width: 256, height: 256, num_images: 1 },
      webhook: hookUrl("flaky"),
    });
    await api.jobs.wait(created.id);
    const attempts = await receivedAtLeast("flaky", 3);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((attempt) => attempt.headers["webhook-id"]))).toEqual(new Set([`${created.id}_completed`]));
    for (const attempt of attempts) expect(api.webhooks.verify(attempt.headers, attempt.body, secret).status).toBe("completed");

    const job = await api.jobs.get(created.id);
    expect(job.webhook?.deliveries.map(({ attempt, status, outcome }) => ({ attempt, status, outcome }))).toEqual([
      { attempt: 1, status: 500, outcome: "retry" },
      { attempt: 2, status: 500, outcome: "retry" },
      { attempt: 3, status: 200, outcome: "delivered" },
    ]);
    expect(job.startedAt).not.toBeNull();
    expect(job.metrics.queue_ms).toBeGreaterThanOrEqual(0);
    expect(job.metrics.run_ms).toBeGreaterThanOrEqual(0);
    expect(job.metrics.total_ms).toBeGreaterThanOrEqual(job.metrics.run_ms!);
    expect(job.images[0]!.deliveredAt).not.toBeNull();
  });
});

describe("keys", () => {
  it("a revoked key gets 401 at its next request", async () => {
    const admin = adminClient();
    const created = await admin.keys.create({ owner: "e2e-revoked", name: "to revoke" });
    const client = new EaselClient({ baseUrl: stack().workerUrl, apiKey: created.key });
    expect((await client.jobs.page({ limit: 1 })).jobs).toEqual([]);
    await admin.keys.revoke(created.id);
    const refused = await client.jobs.page({ limit: 1 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EaselError);
    expect((refused as EaselError).status).toBe(401);
  });
});

