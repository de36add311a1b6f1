import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import type { ClientWebhookEvent, Job } from "../../schema/contract/index.js";
import { D1Writes } from "../../workers/assembler/d1-sync.js";
import type { AssemblerState } from "../../workers/assembler/state.js";
import type { JobAssembler } from "../../workers/assembler/job-assembler.js";
import { api, bearer, getJob, textToImage } from "../helpers/api.js";
import { assemblerState, passTime } from "../helpers/assembler.js";
import { startJobOf } from "../helpers/handler.js";
import { hookUrl, receivedBy, scriptAnswers, type ReceivedWebhook } from "../helpers/webhook-receiver.js";

const startJob = (owner: string, receiver: string, events: ClientWebhookEvent[], images = 2) =>
  startJobOf(owner, { ...textToImage(`client webhooks ${owner}`, images), webhook: hookUrl(receiver), webhook_events: events });

/**
 * Waits until the receiver has `count` requests, moving the JobAssembler's clock on by `step` and
 * running its alarm between looks, so retries come without waiting for real backoff.
 */
async function receivedAtLeast(name: string, count: number, stub: DurableObjectStub<JobAssembler>, step = 0): Promise<ReceivedWebhook[]> {
  for (let look = 0; look < 500; look++) {
    const received = await receivedBy(name);
    if (received.length >= count) return received;
    if (step) await passTime(stub, step);
    await runDurableObjectAlarm(stub);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the receiver ${name} never got ${count} webhooks (got ${(await receivedBy(name)).length})`);
}

/** Waits until the JobAssembler's state meets `condition` (a delivery's outcome is recorded after the receiver answered). */
async function until(stub: DurableObjectStub<JobAssembler>, condition: (state: Awaited<ReturnType<typeof assemblerState>>) => boolean) {
  for (let look = 0; look < 200; look++) {
    const state = await assemblerState(stub);
    if (condition(state)) return state;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the JobAssembler never reached the awaited state");
}

const outboxEmpty = (state: Awaited<ReturnType<typeof assemblerState>>) => state.clientWebhooks.length === 0;

async function webhookSecret(key: string): Promise<string> {
  return ((await (await api("/api/webhooks/secret", { headers: bearer(key) })).json()) as { key: string }).key;
}

const bodyOf = (received: ReceivedWebhook) => JSON.parse(received.body) as Job;

describe("the JobAssembler's webhooks to the client's own endpoint", () => {
  it("delivers start, each image and completed, in order, each signed with the key's secret and showing the job at the time", async () => {
    const { key, job, handler, stub } = await startJob("cw_all", "cw-all", ["start", "image", "completed"]);
    await handler.send({ type: "progress", job_id: job.id, progress: 10 });
    await receivedAtLeast("cw-all", 1, stub);
    const images = [await handler.upload(0), await handler.upload(1)];
    for (const [index, image] of images.entries()) {
      await handler.send({ type: "image", job_id: job.id, image });
      await receivedAtLeast("cw-all", 2 + index, stub);
    }
    await handler.send({ type: "completed", job_id: job.id, images });

    const received = await receivedAtLeast("cw-all", 4, stub);
    await until(stub, outboxEmpty);
    expect(received.map((request) => request.headers["webhook-id"])).toEqual([
      `${job.id}_start`, `${job.id}_image_0`, `${job.id}_image_1`, `${job.id}_completed`,
    ]);
    const secret = await webhookSecret(key);
    for (const request of received) expect(() => new Webhook(secret).verify(request.body, request.headers)).not.toThrow();
    const [start, first, second, completed] = received.map(bodyOf);
    expect(start).toMatchObject({ id: job.id, status: "running", progress: 10 });
    expect(first!.images.map((image) => image.index)).toEqual([0]);
    expect(second!.images.map((image) => image.index)).toEqual([0, 1]);
    expect(completed).toMatchObject({ status: "completed", images: [{ index: 0 }, { index: 1 }] });

    const view = await getJob(key, job.id);
    expect(view.webhook!.deliveries.map(({ webhookId, attempt, status, outcome }) => ({ webhookId, attempt, status, outcome }))).toEqual(
      received.map((request) => ({ webhookId: request.headers["webhook-id"], attempt: 1, status: 200, outcome: "delivered" })),
    );
  });

  it("does not wait for D1's batch: what a webhook tells goes to D1 at once", async () => {
    const { job, handler, stub } = await startJob("cw_prompt", "cw-prompt", ["start"]);
    await runInDurableObject(stub, (instance) => {
      const parts = instance as unknown as { state: AssemblerState; d1: D1Writes };
      // As if D1 were written a minute after a change: only the webhook waiting may bring it forward.
      parts.d1 = new D1Writes(parts.state, false, 60_000);
    });
    await handler.send({ type: "progress", job_id: job.id, progress: 5 });
    const [start] = await receivedAtLeast("cw-prompt", 1, stub);
    expect(bodyOf(start!)).toMatchObject({ status: "running", progress: 5 });
  });

  it("sends only the events the job asked for: completed on any final status", async () => {
    const { job, handler, stub } = await startJob("cw_failed", "cw-failed", ["completed"]);
    await handler.send({ type: "image", job_id: job.id, image: await handler.upload(0) });
    await handler.send({ type: "failed", job_id: job.id, error: "out of memory" });
    const [only] = await receivedAtLeast("cw-failed", 1, stub);
    expect(only!.headers["webhook-id"]).toBe(`${job.id}_completed`);
    expect(bodyOf(only!)).toMatchObject({ status: "failed", error: "out of memory" });
    expect(await receivedBy("cw-failed")).toHaveLength(1);
  });

  it("retries a delivery answered 500 twice, under one webhook-id, and the later ones wait their turn", async () => {
    await scriptAnswers("cw-retry", [{ status: 500 }, { status: 500 }]);
    const { key, job, handler, stub } = await startJob("cw_retry", "cw-retry", ["start", "completed"], 1);
    const image = await handler.upload(0);
    await handler.send({ type: "image", job_id: job.id, image });
    await handler.send({ type: "completed", job_id: job.id, images: [image] });

    const received = await receivedAtLeast("cw-retry", 4, stub, 10 * 60_000);
    await until(stub, outboxEmpty);
    expect(received.map((request) => request.headers["webhook-id"])).toEqual([
      `${job.id}_start`, `${job.id}_start`, `${job.id}_start`, `${job.id}_completed`,
    ]);
    const shown = (await getJob(key, job.id)).webhook!.deliveries;
    expect(shown.map(({ event, attempt, status, outcome }) => ({ event, attempt, status, outcome }))).toEqual([
      { event: "start", attempt: 1, status: 500, outcome: "retry" },
      { event: "start", attempt: 2, status: 500, outcome: "retry" },
      { event: "start", attempt: 3, status: 200, outcome: "delivered" },
      { event: "completed", attempt: 1, status: 200, outcome: "delivered" },
    ]);
  });

  it("does not retry another 4xx: the delivery is given up and the next one goes", async () => {
    await scriptAnswers("cw-refused", [{ status: 410 }]);
    const { key, job, handler, stub } = await startJob("cw_refused", "cw-refused", ["start", "completed"], 1);
    const image = await handler.upload(0);
    await handler.send({ type: "image", job_id: job.id, image });
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    const received = await receivedAtLeast("cw-refused", 2, stub);
    await until(stub, outboxEmpty);
    expect(received.map((request) => request.headers["webhook-id"])).toEqual([`${job.id}_start`, `${job.id}_completed`]);
    const shown = (await getJob(key, job.id)).webhook!.deliveries;
    expect(shown.map(({ event, status, outcome }) => ({ event, status, outcome }))).toEqual([
      { event: "start", status: 410, outcome: "failed" },
      { event: "completed", status: 200, outcome: "delivered" },
    ]);
  });

  it("honours Retry-After on a 429, and keeps the job's storage while a delivery waits", async () => {
    await scriptAnswers("cw-later", [{ status: 429, headers: { "retry-after": "120" } }]);
    const { job, handler, stub } = await startJob("cw_later", "cw-later", ["completed"], 1);
    const image = await handler.upload(0);
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    await receivedAtLeast("cw-later", 1, stub);

    const waiting = await until(stub, (state) => state.clientWebhooks[0]?.attempts === 1);
    const [entry] = waiting.clientWebhooks;
    expect(entry).toMatchObject({ event: "completed", attempts: 1 });
    expect(entry!.due_at - entry!.first_attempt_at!).toBeGreaterThanOrEqual(120_000);
    expect(waiting.alarm).toBe(entry!.due_at);
    expect(waiting.work.map((work) => work.name)).not.toContain("retention");

    await passTime(stub, 60_000);
    await runDurableObjectAlarm(stub);
    expect(await receivedBy("cw-later")).toHaveLength(1);
    const received = await receivedAtLeast("cw-later", 2, stub, 60_000);
    expect(received.map((request) => request.headers["webhook-id"])).toEqual([`${job.id}_completed`, `${job.id}_completed`]);
    expect((await until(stub, outboxEmpty)).work.map((work) => work.name)).toEqual(["retention"]);
  });

  it("gives up a delivery that keeps failing once a day has passed since its first attempt", async () => {
    await scriptAnswers("cw-down", Array.from({ length: 40 }, () => ({ status: 503 })));
    const { job, handler, stub } = await startJob("cw_down", "cw-down", ["completed"], 1);
    const image = await handler.upload(0);
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    await receivedAtLeast("cw-down", 1, stub);
    for (let look = 0; look < 100 && (await assemblerState(stub)).clientWebhooks.length > 0; look++) {
      await until(stub, (state) => state.clientWebhooks[0]?.attempts !== 0);
      await passTime(stub, 60 * 60_000);
      await runDurableObjectAlarm(stub);
    }
    const attempts = await receivedBy("cw-down");
    expect(attempts.length).toBeGreaterThan(10);
    expect(new Set(attempts.map((request) => request.headers["webhook-id"]))).toEqual(new Set([`${job.id}_completed`]));
  });
});
