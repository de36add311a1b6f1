import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { settings } from "../../workers/env.js";
import { api, bearer, getJob, textToImage } from "../helpers/api.js";
import { assemblerState, passTime } from "../helpers/assembler.js";
import { startJobOf } from "../helpers/handler.js";

const startJob = (owner: string, images = 2) => startJobOf(owner, textToImage(`metrics ${owner}`, images));

/** RunPod's own completion webhook, through its URL token. */
function runpodWebhook(webhookUrl: string, body: unknown) {
  const url = new URL(webhookUrl);
  return api(`${url.pathname}${url.search}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** The object's own tables (workerd keeps its `_cf_` metadata table whatever happens). */
const OWN_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) != '_cf_'";

const ms = (iso: string | null | undefined) => Date.parse(iso!);

describe("the job's metrics", () => {
  it("records when the handler started and each image arrived, and RunPod's own times from its webhook", async () => {
    const { key, job, run, handler } = await startJob("metrics_all");
    expect(await getJob(key, job.id)).toMatchObject({ startedAt: null, metrics: { queue_ms: null, run_ms: null, total_ms: null } });
    await handler.send({ type: "progress", job_id: job.id, progress: 5 });
    const images = [await handler.upload(0), await handler.upload(1)];
    for (const image of images) await handler.send({ type: "image", job_id: job.id, image });
    await handler.send({ type: "completed", job_id: job.id, images });
    const answer = await runpodWebhook(run.body.webhook, { id: run.runpodId, status: "COMPLETED", delayTime: 1234, executionTime: 5678.4, output: { images } });
    expect(answer.status).toBe(200);

    const view = await getJob(key, job.id);
    const [first, second] = view.images.map((image) => ms(image.deliveredAt));
    expect(ms(view.createdAt)).toBeLessThanOrEqual(ms(view.startedAt));
    expect(ms(view.startedAt)).toBeLessThanOrEqual(first!);
    expect(first!).toBeLessThanOrEqual(second!);
    expect(second!).toBeLessThanOrEqual(ms(view.completedAt));
    expect(view.metrics).toEqual({
      queue_ms: ms(view.startedAt) - ms(view.createdAt),
      run_ms: second! - ms(view.startedAt),
      total_ms: ms(view.completedAt) - ms(view.createdAt),
      runpod_delay_ms: 1234,
      runpod_execution_ms: 5678,
    });
  });

  it("takes RunPod's times only for the job's own run", async () => {
    const { key, job, run } = await startJob("metrics_other_run", 1);
    await runpodWebhook(run.body.webhook, { id: "rp-someone-else", status: "IN_PROGRESS", delayTime: 99, executionTime: 99 });
    expect((await getJob(key, job.id)).metrics).toMatchObject({ runpod_delay_ms: null, runpod_execution_ms: null });
  });

  it("refuses RunPod times that are not durations, and changes nothing", async () => {
    const { key, job, run } = await startJob("metrics_bad_times", 1);
    const answer = await runpodWebhook(run.body.webhook, { id: run.runpodId, status: "IN_PROGRESS", delayTime: -5 });
    expect(answer.status).toBe(400);
    expect((await getJob(key, job.id)).metrics).toMatchObject({ runpod_delay_ms: null });
  });
});

describe("the JobAssembler's retention", () => {
  it("clears the object's storage and alarm a set time after the job ended; D1 keeps the job and the events answer its status", async () => {
    const { key, job, handler, stub } = await startJob("retention_clear", 1);
    const image = await handler.upload(0);
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    const ended = await assemblerState(stub);
    const [retention] = ended.work;
    expect(ended.work.map((work) => work.name)).toEqual(["retention"]);
    expect(retention!.due_at).toBe(ended.job!.completed_at! + settings(env).jobStateRetentionMs);
    expect(ended.alarm).toBe(retention!.due_at);

    await passTime(stub, settings(env).jobStateRetentionMs - 60_000);
    await runDurableObjectAlarm(stub);
    expect((await assemblerState(stub)).job?.status).toBe("completed");

    await passTime(stub, 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const left = await runInDurableObject(stub, async (_, state) => ({
      tables: state.storage.sql.exec(OWN_TABLES).toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(left).toEqual({ tables: [], alarm: null });

    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ index: 0, key: image.key }] });
    const events = await api(`/api/jobs/${job.id}/events`, { headers: bearer(key) });
    expect(await events.text()).toBe('event: end\ndata: {"status":"completed"}\n\n');
    const late = await handler.send({ type: "image", job_id: job.id, image });
    expect(late.status).toBe(404);
    expect(await runInDurableObject(stub, (_, state) => state.storage.sql.exec(OWN_TABLES).toArray())).toEqual([]);
  });

  it("waits while the job is still running", async () => {
    const { stub } = await startJob("retention_running", 1);
    expect((await assemblerState(stub)).work.map((work) => work.name)).not.toContain("retention");
  });
});
