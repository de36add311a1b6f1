import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { settings } from "../../workers/env.js";
import { createObjectStore } from "../../workers/services/storage.js";
import { api, getJob, textToImage } from "../helpers/api.js";
import { assemblerState, runAlarmAfter, runAlarmPastDeadline, workRow } from "../helpers/assembler.js";
import { startJobOf } from "../helpers/handler.js";
import { pngBytes, sha256Hex, toBase64 } from "../helpers/images.js";
import { dispatchedRun, setRunpodStatus } from "../helpers/runpod.js";
import { storeOutage } from "../helpers/store-outage.js";


const startJob = (owner: string, images = 1) => startJobOf(owner, textToImage(`assembler ${owner}`, images));


describe("JobAssembler: nothing is lost when the bucket fails for a while", () => {
  it("keeps an announced image through a bucket outage and records it when the alarm retries", async () => {
    const { key, job, handler, stub } = await startJob("outage_head", 1);
    const image = await handler.upload(0);
    await storeOutage(`jobs/outage_head/${job.id}/`, true);
    const kept = await handler.send({ type: "image", job_id: job.id, image });
    expect(kept.status).toBe(202);
    expect(await kept.json()).toMatchObject({ result: "kept" });
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    expect(await getJob(key, job.id)).toMatchObject({ status: "running", images: [] });

    expect(await runAlarmAfter(stub, 60_000)).toBe(true);
    expect((await getJob(key, job.id)).images).toHaveLength(0);
    const pending = await workRow(stub, "settle");
    expect(pending?.attempts).toBeGreaterThan(0);
    expect(pending?.last_error).toMatch(/store unavailable/);

    await storeOutage(`jobs/outage_head/${job.id}/`, false);
    expect(await runAlarmAfter(stub, 60_000)).toBe(true);
    const healed = await getJob(key, job.id);
    expect(healed).toMatchObject({ status: "completed" });
    expect(healed.images.map((entry) => entry.key)).toEqual([image.key]);
    expect(await workRow(stub, "settle")).toBeNull();
  });

  it("keeps legacy bytes in the JobAssembler until the bucket takes them", async () => {
    const { key, job, handler, stub } = await startJob("outage_bytes", 1);
    await storeOutage(`jobs/outage_bytes/${job.id}/`, true);
    const bytes = pngBytes(40, 30, 3000, 1);
    const kept = await handler.sendUnsigned({ job_id: job.id, status: "COMPLETED", progress: 100, images: [toBase64(bytes)] });
    expect(kept.status).toBe(202);
    expect((await getJob(key, job.id)).status).toBe("running");
    await storeOutage(`jobs/outage_bytes/${job.id}/`, false);
    await runAlarmAfter(stub, 60_000);
    const healed = await getJob(key, job.id);
    expect(healed).toMatchObject({ status: "completed" });
    expect((await (await fetch(healed.images[0]!.url)).arrayBuffer()).byteLength).toBe(3000);
    const leftovers = await runInDurableObject(stub, (_, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM pieces").one());
    expect(leftovers.n).toBe(0);
  });
});

describe("JobAssembler: legacy bytes sent again while the bucket is down", () => {
  it("uploads the bytes it recorded last, not a mix with the earlier ones", async () => {
    const { key, job, handler, stub } = await startJob("outage_bytes_again", 1);
    await storeOutage(`jobs/outage_bytes_again/${job.id}/`, true);
    const first = pngBytes(40, 30, 3000, 1);
    const second = pngBytes(40, 30, 3000, 2);
    for (const bytes of [first, second]) {
      const kept = await handler.sendUnsigned({ job_id: job.id, image_index: 0, filename: "out.png", data: toBase64(bytes) });
      expect(kept.status).toBe(202);
    }
    await storeOutage(`jobs/outage_bytes_again/${job.id}/`, false);
    await runAlarmAfter(stub, 60_000);
    const [image] = (await getJob(key, job.id)).images;
    const stored = new Uint8Array(await (await fetch(image!.url)).arrayBuffer());
    const recorded = await env.DB.prepare("SELECT sha256 FROM images WHERE job_id = ?").bind(job.id).first<{ sha256: string }>();
    expect(recorded?.sha256).toBe(await sha256Hex(second));
    expect(await sha256Hex(stored)).toBe(await sha256Hex(second));
  });
  it("stops retrying a day past the deadline and leaves only the retention's alarm behind", async () => {
    const { job, run, handler, stub } = await startJob("outage_forever", 1);
    const image = await handler.upload(0);
    await storeOutage(`jobs/outage_forever/${job.id}/`, true);
    expect((await handler.send({ type: "image", job_id: job.id, image })).status).toBe(202);
    await setRunpodStatus(run.runpodId, { id: run.runpodId, status: "IN_PROGRESS" });
    expect(await runAlarmAfter(stub, 25 * 60 * 60 * 1000 + 600_000)).toBe(true);
    const snapshot = await assemblerState(stub);
    expect(snapshot.job?.status).toBe("timed_out");
    expect(snapshot.work.map((row) => row.name)).toEqual(["retention"]);
    expect(snapshot.alarm).toBe(snapshot.work[0]!.due_at);
    expect(snapshot.work[0]!.due_at - snapshot.job!.completed_at!).toBe(settings(env).jobStateRetentionMs);
    await storeOutage(`jobs/outage_forever/${job.id}/`, false);
  });
});

describe("JobAssembler: the deadline asks RunPod", () => {
  it("times the job out and cancels it at RunPod when RunPod still runs it", async () => {
    const { key, job, run, stub } = await startJob("deadline_running");
    await setRunpodStatus(run.runpodId, { id: run.runpodId, status: "IN_PROGRESS" });
    await runAlarmPastDeadline(stub);
    const ended = await getJob(key, job.id);
    expect(ended.status).toBe("timed_out");
    expect(ended.error).toMatch(/deadline passed while RunPod reported IN_PROGRESS/);
    expect((await dispatchedRun(job.id)).canceled).toBe(true);
  });

  it("fails the job with RunPod's reason", async () => {
    const { key, job, run, stub } = await startJob("deadline_failed");
    await setRunpodStatus(run.runpodId, { id: run.runpodId, status: "FAILED", error: "CUDA out of memory" });
    await runAlarmPastDeadline(stub);
    expect(await getJob(key, job.id)).toMatchObject({ status: "failed", error: expect.stringMatching(/CUDA out of memory/) });
  });

  it("completes the job from RunPod's output when the handler's webhooks were lost", async () => {
    const { key, job, run, handler, stub } = await startJob("deadline_output", 1);
    const image = await handler.upload(0);
    await setRunpodStatus(run.runpodId, { id: run.runpodId, status: "COMPLETED", output: { images: [image] } });
    await runAlarmPastDeadline(stub);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ key: image.key, size: image.size }] });
  });
});

describe("POST /api/webhooks/runpod/:jobId", () => {
  it("reconciles from RunPod's completion webhook after verifying the objects", async () => {
    const { key, job, run, handler } = await startJob("runpod_hook", 1);
    const image = await handler.upload(0);
    const body = JSON.stringify({ id: run.runpodId, status: "COMPLETED", output: { images: [image] }, executionTime: 1200 });
    const forged = await api(`/api/webhooks/runpod/${job.id}?token=wrong`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(forged.status).toBe(401);
    expect((await getJob(key, job.id)).status).toBe("queued");
    const webhookUrl = new URL(run.body.webhook);
    const response = await api(`${webhookUrl.pathname}${webhookUrl.search}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    expect(response.status).toBe(200);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ key: image.key }] });
  });

  it("refuses output that lists one index twice with different keys, and records neither", async () => {
    const { key, job, run, handler } = await startJob("runpod_hook_twice", 1);
    const image = await handler.upload(0);
    const other = { ...image, key: image.key.replace("0.png", "0-again.png") };
    await createObjectStore(env).put(other.key, pngBytes(64, 48, image.size, 9), "image/png");
    const webhookUrl = new URL(run.body.webhook);
    const response = await api(`${webhookUrl.pathname}${webhookUrl.search}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: run.runpodId, status: "COMPLETED", output: { images: [image, other] } }),
    });
    expect(response.status).toBe(409);
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", images: [] });
  });

  it("refuses output whose objects are not in the bucket", async () => {
    const { key, job, run, handler } = await startJob("runpod_hook_missing", 1);
    const image = { ...(await handler.upload(0)), key: handler.input.outputs[0]!.key.replace("0.png", "0.jpg") };
    const webhookUrl = new URL(run.body.webhook);
    const response = await api(`${webhookUrl.pathname}${webhookUrl.search}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: run.runpodId, status: "COMPLETED", output: { images: [image] } }),
    });
    expect(response.status).toBe(422);
    expect((await getJob(key, job.id)).status).toBe("queued");
  });
});
