import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DISPATCH_CONFIRM_MS } from "../../workers/assembler/dispatch.js";
import type { JobAssembler } from "../../workers/assembler/job-assembler.js";
import type { Schedule } from "../../workers/assembler/schedule.js";
import type { AssemblerState } from "../../workers/assembler/state.js";
import { COMPLETION_GRACE_MS } from "../../workers/assembler/settle.js";
import { createObjectStore, type ObjectStore } from "../../workers/services/storage.js";
import { pngBytes } from "../helpers/images.js";
import { api, bearer, getJob, textToImage } from "../helpers/api.js";
import { assemblerState, passTime, runAlarmAfter, runAlarmPastDeadline, workRow } from "../helpers/assembler.js";
import { startJobOf } from "../helpers/handler.js";
import { dispatchedRun, setRunpodStatus } from "../helpers/runpod.js";
import { storeOutage } from "../helpers/store-outage.js";


async function startJob(owner: string, images = 1, prompt = `failure paths ${owner}`) {
  const started = await startJobOf(owner, textToImage(prompt, images));
  return { ...started, prefix: `jobs/${owner}/${started.job.id}/` };
}

const d1Images = async (jobId: string) =>
  (await env.DB.prepare("SELECT idx FROM images WHERE job_id = ? ORDER BY idx").bind(jobId).all<{ idx: number }>()).results.map((row) => row.idx);

async function eventTypes(key: string, jobId: string) {
  const text = await (await api(`/api/jobs/${jobId}/events`, { headers: bearer(key) })).text();
  return [...text.matchAll(/^event: (\w+)$/gm)].map((match) => match[1]);
}

/** The JobAssembler's own parts, for fault injection. */
const inside = (instance: JobAssembler) => instance as unknown as { state: AssemblerState; schedule: Schedule };

/** Makes the JobAssembler's reading of its completion throw `fault` (null: read it again as it is). */
async function throwingCompletion(stub: DurableObjectStub<JobAssembler>, fault: Error | null) {
  await runInDurableObject(stub, (instance) => {
    const state = inside(instance).state as Partial<Pick<AssemblerState, "completion">>;
    if (fault) state.completion = () => {
      throw fault;
    };
    else delete state.completion;
  });
}

describe("the alarm cannot strand a job", () => {
  it("keeps an image whose HEAD fails with an error that is not the store's, and records it once HEADs work", async () => {
    const { key, job, handler, stub } = await startJob("fp_odd_head");
    const image = await handler.upload(0);
    const swapHead = (head: ((key: string) => Promise<unknown>) | null) =>
      runInDurableObject(stub, (instance) => {
        // Fault injection: the object HEADs through its own store, so replacing its head stages the fault.
        const holder = instance as unknown as { store: ObjectStore; realHead?: ObjectStore["head"] };
        holder.realHead ??= holder.store.head;
        holder.store = { ...holder.store, head: (head ?? holder.realHead) as ObjectStore["head"] };
      });
    await swapHead(() => Promise.reject(new TypeError("HEAD answered without Content-Length")));
    const kept = await handler.send({ type: "image", job_id: job.id, image });
    expect(kept.status).toBe(202);
    expect(await kept.json()).toMatchObject({ result: "kept", detail: expect.stringMatching(/Content-Length/) });
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    await swapHead(null);
    await runAlarmAfter(stub, 60_000);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ index: 0 }] });
  });

  it("re-arms the alarm when a task throws, keeps the reason on its row, and finishes once the cause is gone", async () => {
    const { key, job, handler, stub } = await startJob("fp_throws");
    const image = await handler.upload(0);
    await handler.send({ type: "image", job_id: job.id, image });
    // Fault injection: reading the completion throws, so reviewing it throws inside the settle task.
    await throwingCompletion(stub, new Error("completion unreadable"));
    await runInDurableObject(stub, (instance) => inside(instance).schedule.due("settle", Date.now()));
    expect(await runAlarmAfter(stub, 1_000)).toBe(true);
    const after = await runInDurableObject(stub, async (_, state) => ({
      alarm: await state.storage.getAlarm(),
      settle: state.storage.sql.exec("SELECT attempts, last_error FROM work WHERE name = 'settle'").toArray()[0],
    }));
    expect(after.alarm).not.toBeNull();
    expect(after.settle).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/completion unreadable/) });
    await throwingCompletion(stub, null);
    await runInDurableObject(stub, (instance) => inside(instance).state.setCompletion([0]));
    await runAlarmAfter(stub, 60_000);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed" });
  });
});

describe("the deadline", () => {
  it("settles what it kept before asking RunPod, and the images' events come before the final one", async () => {
    const { key, job, run, handler, stub, prefix } = await startJob("fp_settle_first", 2);
    const images = [await handler.upload(0), await handler.upload(1)];
    await storeOutage(prefix, true);
    for (const image of images) expect((await handler.send({ type: "image", job_id: job.id, image })).status).toBe(202);
    await handler.send({ type: "completed", job_id: job.id, images });
    await storeOutage(prefix, false);
    await setRunpodStatus(run.runpodId, { id: run.runpodId, status: "IN_PROGRESS" });
    await runAlarmPastDeadline(stub);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ index: 0 }, { index: 1 }] });
    expect(await eventTypes(key, job.id)).toEqual(["image", "image", "completed", "end"]);
    expect((await dispatchedRun(job.id)).canceled).toBe(false);
  });

  it("ends a job whose images are still unverifiable, and records none of them after its final event", async () => {
    const { key, job, run, handler, stub, prefix } = await startJob("fp_still_down", 1);
    const image = await handler.upload(0);
    await storeOutage(prefix, true);
    expect((await handler.send({ type: "image", job_id: job.id, image })).status).toBe(202);
    await setRunpodStatus(run.runpodId, { id: run.runpodId, status: "IN_PROGRESS" });
    await runAlarmPastDeadline(stub);
    const ended = await getJob(key, job.id);
    expect(ended).toMatchObject({ status: "timed_out", images: [] });
    expect(ended.error).toMatch(/IN_PROGRESS, 0 of 1 images recorded; 1 announced but not verified \(image 0: object store unavailable/);
    await storeOutage(prefix, false);
    await runAlarmAfter(stub, 60_000);
    expect((await assemblerState(stub)).images).toEqual([]);
    expect(await d1Images(job.id)).toEqual([]);
    expect(await eventTypes(key, job.id)).toEqual(["timed_out", "end"]);
  });

  it("retries RunPod's status read on the alarm's schedule, then cancels the run and times the job out", async () => {
    const { key, job, run, stub } = await startJob("fp_status_down");
    await setRunpodStatus(run.runpodId, { fail: 503 });
    await runAlarmPastDeadline(stub);
    for (let attempt = 2; attempt <= 4; attempt++) {
      expect((await getJob(key, job.id)).status).toBe("queued");
      expect(await workRow(stub, "deadline")).toMatchObject({ attempts: attempt - 1 });
      await runAlarmAfter(stub, 10 * 60_000);
    }
    expect((await dispatchedRun(job.id)).canceled).toBe(false);
    await runAlarmAfter(stub, 10 * 60_000);
    expect(await getJob(key, job.id)).toMatchObject({ status: "timed_out", error: expect.stringMatching(/status could not be read in 5 attempts/) });
    expect((await dispatchedRun(job.id)).canceled).toBe(true);
  });
});

describe("checks that a deferral must not skip", () => {
  it("applies the size limit to a HEAD deferred by an outage", async () => {
    const { key, job, handler, stub, prefix } = await startJob("fp_deferred_size");
    const oversized = handler.input.outputs[0]!.key;
    await createObjectStore(env).put(oversized, pngBytes(64, 64, 20 * 1024 * 1024 + 1), "image/png");
    await storeOutage(prefix, true);
    const kept = await handler.sendUnsigned({ job_id: job.id, image_index: 0, s3Key: oversized, format: "png" });
    expect(kept.status).toBe(202);
    await storeOutage(prefix, false);
    await runAlarmAfter(stub, 60_000);
    expect((await getJob(key, job.id)).images).toEqual([]);
    expect((await assemblerState(stub)).events.at(-1)).toMatchObject({ type: "image_rejected", data: { reason: expect.stringMatching(/exceeds the maximum/) } });
  });

  it("keeps a URL's query (a presigned signature, a token) out of a job's error", async () => {
    const { key, job, handler } = await startJob("fp_secret_error");
    const leaked = `${handler.input.outputs[0]!.upload_url} gave up after 5 attempts`;
    await handler.send({ type: "failed", job_id: job.id, error: `upload of output 0 failed: ${leaked}` });
    const { error } = await getJob(key, job.id);
    expect(error).toMatch(/^upload of output 0 failed: http:\/\/127\.0\.0\.1:\d+\/easel-test\/jobs\/fp_secret_error\/.*\/0\.png\?… gave up/);
    expect(error).not.toMatch(/X-Amz-Signature|X-Amz-Credential/);
  });
});

describe("complete means complete", () => {
  it("waits the grace period for images a completion left out, then fails naming them, keeping the ones that came", async () => {
    const { key, job, handler, stub } = await startJob("fp_short_completion", 3);
    const first = await handler.upload(0);
    const done = await handler.send({ type: "completed", job_id: job.id, images: [first] });
    expect(await done.json()).toMatchObject({ result: "applied", status: "running" });
    await runAlarmAfter(stub, COMPLETION_GRACE_MS - 5_000);
    expect((await getJob(key, job.id)).status).toBe("running");
    await runAlarmAfter(stub, 10_000);
    const failed = await getJob(key, job.id);
    expect(failed).toMatchObject({ status: "failed", error: "the handler completed with 1 of 3 images; missing indices 1, 2", images: [{ index: 0 }] });
  });

  it("completes when the images a completion left out arrive within the grace period", async () => {
    const { key, job, handler, stub } = await startJob("fp_late_images", 2);
    const first = await handler.upload(0);
    await handler.send({ type: "completed", job_id: job.id, images: [first] });
    await passTime(stub, COMPLETION_GRACE_MS / 2);
    await handler.send({ type: "image", job_id: job.id, image: await handler.upload(1) });
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ index: 0 }, { index: 1 }] });
  });

  it("does not complete on RunPod's COMPLETED with no images (URL token)", async () => {
    const { key, job, run, stub } = await startJob("fp_runpod_empty", 2);
    const webhook = new URL(run.body.webhook);
    const response = await api(`${webhook.pathname}${webhook.search}`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: run.runpodId, status: "COMPLETED", output: { images: [] } }),
    });
    expect(await response.json()).toMatchObject({ status: "running" });
    await runAlarmAfter(stub, COMPLETION_GRACE_MS + 1);
    expect(await getJob(key, job.id)).toMatchObject({ status: "failed", error: expect.stringMatching(/0 of 2 images; missing indices 0, 1/) });
  });
});

describe("no GPU work without an owner", () => {
  it("adopts a run whose /run answer came too late, from the handler's runpod_job_id", async () => {
    const { key, job, run, handler, stub } = await startJob("fp_slow_adopt", 1, "[runpod:slow] adopted");
    expect((await getJob(key, job.id)).status).toBe("queued");
    expect(await workRow(stub, "dispatch_unknown")).not.toBeNull();
    await handler.send({ type: "progress", job_id: job.id, runpod_job_id: run.runpodId, progress: 10 });
    expect((await assemblerState(stub)).job).toMatchObject({ runpod_job_id: run.runpodId, status: "running" });
    expect(await workRow(stub, "dispatch_unknown")).toBeNull();
    expect((await dispatchedRun(job.id)).canceled).toBe(false);
  });

  it("cancels at RunPod a run that shows up after the job failed for want of one, and tells the handler to stop", async () => {
    const { key, job, run, handler, stub } = await startJob("fp_slow_cancel", 1, "[runpod:slow] too late");
    await runAlarmAfter(stub, DISPATCH_CONFIRM_MS + 1);
    expect((await getJob(key, job.id)).status).toBe("failed");
    const late = await handler.send({ type: "progress", job_id: job.id, runpod_job_id: run.runpodId, progress: 5 });
    expect(await late.json()).toMatchObject({ result: "ignored", status: "failed" });
    expect((await dispatchedRun(job.id)).canceled).toBe(true);
    expect((await getJob(key, job.id)).progress).toBe(0);
  });

  it("cancels at RunPod a run RunPod's own webhook names for a job that is over", async () => {
    const { key, job, handler, stub } = await startJob("fp_runpod_id_cancel", 1, "[runpod:slow] webhook");
    await runAlarmAfter(stub, DISPATCH_CONFIRM_MS + 1);
    const run = await dispatchedRun(job.id);
    const webhook = new URL(run.body.webhook);
    const response = await api(`${webhook.pathname}${webhook.search}`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: run.runpodId, status: "IN_PROGRESS" }),
    });
    expect(await response.json()).toMatchObject({ result: "ignored", status: "failed" });
    expect((await dispatchedRun(job.id)).canceled).toBe(true);
    expect(handler.input.job_id).toBe(job.id);
    expect((await getJob(key, job.id)).status).toBe("failed");
  });

  it("answers a canceled job's handler with the final status and cancels its run again", async () => {
    const { key, job, run, handler } = await startJob("fp_after_cancel", 1);
    expect((await api(`/api/jobs/${job.id}/cancel`, { method: "POST", headers: bearer(key) })).status).toBe(200);
    const late = await handler.send({ type: "progress", job_id: job.id, runpod_job_id: run.runpodId, progress: 50 });
    expect(await late.json()).toMatchObject({ result: "ignored", status: "canceled" });
    expect((await getJob(key, job.id)).progress).toBe(0);
  });
});
