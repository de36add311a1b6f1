import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SIGNED_WEBHOOK_MAX_BYTES } from "../../schema/contract/index.js";
import { deriveJobWebhookSecret, signWebhook } from "../../workers/services/webhook-signing.js";
import { api, getJob, storageReport, textToImage } from "../helpers/api.js";
import { SimulatedHandler, startJobOf } from "../helpers/handler.js";

const startJob = (owner: string, images = 2) => startJobOf(owner, textToImage(`prompt for ${owner}`, images));

const imageRows = async (jobId: string) =>
  (await env.DB.prepare("SELECT * FROM images WHERE job_id = ? ORDER BY idx").bind(jobId).all<Record<string, unknown>>()).results;

describe("the handler's webhooks, contract shape", () => {
  it("records each image as it is announced and completes with metadata-only rows", async () => {
    const { key, job, handler } = await startJob("hook_main");
    expect((await handler.send({ type: "progress", job_id: job.id, progress: 30 })).status).toBe(200);
    expect(await getJob(key, job.id)).toMatchObject({ status: "running", progress: 30 });

    const first = await handler.upload(0);
    expect((await handler.send({ type: "image", job_id: job.id, total_images: 2, image: first })).status).toBe(200);
    const midway = await getJob(key, job.id);
    expect(midway.images.map((image) => image.index)).toEqual([0]);
    expect(await (await fetch(midway.images[0]!.url)).arrayBuffer()).toHaveProperty("byteLength", first.size);

    const second = await handler.upload(1);
    await handler.send({ type: "image", job_id: job.id, image: second });
    const done = await handler.send({ type: "completed", job_id: job.id, images: [first, second] });
    expect(await done.json()).toMatchObject({ result: "applied", status: "completed" });

    const finished = await getJob(key, job.id);
    expect(finished).toMatchObject({ status: "completed", progress: 100, error: null });
    expect(finished.images.map(({ index, key: objectKey, size, width, height }) => ({ index, objectKey, size, width, height }))).toEqual([
      { index: 0, objectKey: first.key, size: first.size, width: 64, height: 48 },
      { index: 1, objectKey: second.key, size: second.size, width: 64, height: 48 },
    ]);
    const rows = await imageRows(job.id);
    expect(rows.map((row) => row.sha256)).toEqual([first.sha256, second.sha256]);
    for (const row of rows) {
      for (const value of Object.values(row)) expect(String(value).length).toBeLessThan(200);
    }
    const report = await storageReport();
    expect(report.overall.bytesInD1).toBe(0);
    expect(report.overall.rate).toBe(100);
  });

  it("completes whatever the order: a completion that lists no images waits for them", async () => {
    const { key, job, handler } = await startJob("hook_order");
    const first = await handler.upload(0);
    const second = await handler.upload(1);
    const completion = await handler.sendUnsigned({ job_id: job.id, status: "COMPLETED", progress: 100 });
    expect(await completion.json()).toMatchObject({ result: "applied", status: "running" });
    await handler.send({ type: "image", job_id: job.id, image: second });
    expect((await getJob(key, job.id)).status).toBe("running");
    await handler.send({ type: "image", job_id: job.id, image: first });
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ index: 0 }, { index: 1 }] });
  });

  it("records from the completion the images whose own webhooks were lost, and the late ones are duplicates", async () => {
    const { key, job, handler } = await startJob("hook_lost");
    const first = await handler.upload(0);
    const second = await handler.upload(1);
    const completion = await handler.send({ type: "completed", job_id: job.id, images: [first, second] });
    expect(await completion.json()).toMatchObject({ result: "applied", status: "completed" });
    expect((await getJob(key, job.id)).images.map((image) => image.key)).toEqual([first.key, second.key]);
    const late = await handler.send({ type: "image", job_id: job.id, image: second });
    expect(await late.json()).toMatchObject({ result: "duplicate", status: "completed" });
    expect(await imageRows(job.id)).toHaveLength(2);
  });

  it("refuses a completion that lists an image missing from the bucket, and changes nothing", async () => {
    const { key, job, handler } = await startJob("hook_lost_missing");
    const first = await handler.upload(0);
    const phantom = { ...first, index: 1, key: handler.input.outputs[1]!.key };
    const completion = await handler.send({ type: "completed", job_id: job.id, images: [first, phantom] });
    expect(completion.status).toBe(422);
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", images: [] });
  });

  it("applies a redelivered webhook-id once and ignores duplicate and concurrent announcements", async () => {
    const { key, job, handler } = await startJob("hook_dupes", 1);
    const image = await handler.upload(0);
    const body = { type: "image", job_id: job.id, image };
    const first = await handler.send(body, { webhookId: "msg_same" });
    const replay = await handler.send(body, { webhookId: "msg_same" });
    expect(await first.json()).toMatchObject({ result: "applied" });
    expect(await replay.json()).toMatchObject({ result: "duplicate" });
    const concurrent = await Promise.all([1, 2, 3, 4].map((n) => handler.send(body, { webhookId: `msg_concurrent_${n}` })));
    expect(concurrent.map((response) => response.status)).toEqual([200, 200, 200, 200]);
    await Promise.all([1, 2].map((n) => handler.send({ type: "completed", job_id: job.id, images: [image] }, { webhookId: `msg_done_${n}` })));
    expect((await imageRows(job.id)).length).toBe(1);
    expect((await getJob(key, job.id)).status).toBe("completed");
  });

  it("refuses forged, tampered, stale and unauthenticated deliveries and changes nothing", async () => {
    const { key, job, handler } = await startJob("hook_forged", 1);
    const image = await handler.upload(0);
    const body = { type: "image", job_id: job.id, image };
    const otherSecret = await deriveJobWebhookSecret(env.WEBHOOK_SIGNING_KEY, "job_someone_else");
    const attempts = [
      await handler.send(body, { secret: otherSecret }),
      await handler.send(body, { timestamp: new Date(Date.now() - 6 * 60_000) }),
      await handler.send(body, { timestamp: new Date(Date.now() + 6 * 60_000) }),
      await api(handler.callbackPath, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      await api(`${handler.callbackPath}?token=forged`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    ];
    const signed = await handler.send(body, { webhookId: "msg_tamper" });
    expect(signed.status).toBe(200);
    expect(attempts.map((response) => response.status)).toEqual([401, 401, 401, 401, 401]);
    const { job: other, handler: otherHandler } = await startJob("hook_forged_other", 1);
    const crossJob = await otherHandler.send({ type: "progress", job_id: job.id, progress: 50 }, { path: new URL(handler.input.callback.url).pathname });
    expect(crossJob.status).toBe(401);
    expect((await getJob(key, job.id)).progress).not.toBe(50);
    expect(other.id).not.toBe(job.id);
  });

  it("refuses an unsigned contract event that carries the job's valid token (401), and changes nothing", async () => {
    const { key, job, handler } = await startJob("hook_token", 1);
    const image = await handler.upload(0);
    const attempts = [
      await handler.sendUnsigned({ type: "image", job_id: job.id, image }),
      await handler.sendUnsigned({ type: "completed", job_id: job.id, images: [image] }),
      await handler.sendUnsigned({ type: "failed", job_id: job.id, error: "forged from a leaked URL" }),
      await handler.sendUnsigned({ type: "progress", job_id: job.id, progress: "not even valid" }),
    ];
    expect(attempts.map((response) => response.status)).toEqual([401, 401, 401, 401]);
    expect(((await attempts[0]!.json()) as { error: { message: string } }).error.message).toMatch(/must be signed/);
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", progress: 0, error: null, images: [] });
    expect(await imageRows(job.id)).toEqual([]);
  });

  it("gives the v1 callback URL no token, and legacy handlers their own URL with one", async () => {
    const { job, handler } = await startJob("hook_urls", 1);
    expect(handler.input.callback.url).toBe(`https://easel.test/api/webhooks/generation/${job.id}`);
    expect(handler.input.callback.legacy_url).toMatch(new RegExp(`^https://easel.test/api/webhooks/generation/${job.id}\\?token=[\\w-]{43}$`));
  });

  it("verifies a signed body that starts with a UTF-8 byte order mark on its raw bytes", async () => {
    const { key, job, handler } = await startJob("hook_bom", 1);
    const text = `\uFEFF${JSON.stringify({ type: "progress", job_id: job.id, progress: 25 })}`;
    const headers = signWebhook({ secret: handler.input.callback.secret, webhookId: "msg_bom", body: text });
    const response = await api(handler.callbackPath, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: text });
    expect(response.status).toBe(200);
    expect((await getJob(key, job.id)).progress).toBe(25);
  });

  it("answers a 64 KiB signed body 413 before its signature is checked, whether or not it says its length", async () => {
    const { key, job, handler } = await startJob("hook_big_signed", 1);
    const text = JSON.stringify({ type: "failed", job_id: job.id, error: "x".repeat(64 * 1024) });
    const headers = signWebhook({ secret: "whsec_c2VjcmV0LW9mLWFub3RoZXItZW5kcG9pbnQtMzJi", webhookId: "msg_big", body: text });
    const declared = await api(handler.callbackPath, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: text });
    expect(declared.status).toBe(413);
    const streamed = await api(handler.callbackPath, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: new Blob([text]).stream(),
    });
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", error: null });
  });

  it("fits a signed completion of 64 images under the limit (refused for its indices, not its size)", async () => {
    const { job, handler } = await startJob("hook_64", 1);
    const image = await handler.upload(0);
    const images = Array.from({ length: 64 }, (_, index) => ({ ...image, index, key: image.key.replace("/0.png", `/${index}.png`) }));
    const text = JSON.stringify({ type: "completed", job_id: job.id, runpod_job_id: "rp-0123456789abcdef-0123456789abcdef", images });
    expect(text.length).toBeLessThan(SIGNED_WEBHOOK_MAX_BYTES);
    expect((await handler.send(JSON.parse(text))).status).toBe(422);
  });

  it("checks a legacy URL's token before reading its body", async () => {
    const { handler } = await startJob("hook_token_first", 1);
    const huge = JSON.stringify({ data: "A".repeat(8 * 1024 * 1024) });
    const wrongToken = handler.legacyCallbackPath.replace(/token=[^&]+/, "token=forged");
    const response = await api(wrongToken, { method: "POST", headers: { "content-type": "application/json" }, body: huge });
    expect(response.status).toBe(401);
  });

  it.each([
    ["an object missing from the bucket", (image: Record<string, unknown>) => ({ ...image, key: String(image.key).replace("0.png", "1.png") }), 422, "unprocessable"],
    ["a size that differs from the object", (image: Record<string, unknown>) => ({ ...image, size: Number(image.size) + 1 }), 422, "unprocessable"],
    ["an index beyond the job's images", (image: Record<string, unknown>) => ({ ...image, index: 5 }), 422, "unprocessable"],
    ["a body that matches no shape", (image: Record<string, unknown>) => ({ ...image, sha256: "nope" }), 400, "validation_failed"],
  ])("rejects %s and changes nothing", async (_, mutate, status, code) => {
    const { key, job, handler } = await startJob(`hook_bad_${status}_${Math.random().toString(36).slice(2, 8)}`, 2);
    const image = await handler.upload(0);
    const response = await handler.send({ type: "image", job_id: job.id, image: mutate(image) });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", images: [] });
    expect(await imageRows(job.id)).toEqual([]);
  });

  it("rejects a key outside the job's prefix even when the object exists", async () => {
    const { key, job, handler } = await startJob("hook_prefix", 1);
    const { handler: neighbour } = await startJob("hook_prefix_neighbour", 1);
    const foreign = await neighbour.upload(0);
    const response = await handler.send({ type: "image", job_id: job.id, image: foreign });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/outside the job's prefix/);
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", images: [] });
  });

  it("answers malformed JSON with 400, a job_id that is not the URL's with 400, and an unknown job with 404", async () => {
    const { handler } = await startJob("hook_misc", 1);
    const malformed = await api(handler.legacyCallbackPath, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    expect(malformed.status).toBe(400);
    expect((await handler.send({ type: "progress", job_id: "job_other", progress: 5 })).status).toBe(400);
    const ghost = new SimulatedHandler({
      ...handler.input,
      job_id: "job_ghost",
      callback: { url: "https://easel.test/api/webhooks/generation/job_ghost", secret: await deriveJobWebhookSecret(env.WEBHOOK_SIGNING_KEY, "job_ghost") },
    });
    expect((await ghost.send({ type: "progress", job_id: "job_ghost", progress: 5 })).status).toBe(404);
  });

  it("keeps a completed job completed: a later failure or progress changes nothing", async () => {
    const { key, job, handler } = await startJob("hook_after_done", 1);
    const image = await handler.upload(0);
    await handler.send({ type: "image", job_id: job.id, image });
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    const failure = await handler.send({ type: "failed", job_id: job.id, error: "late failure" });
    expect(await failure.json()).toMatchObject({ result: "ignored", status: "completed" });
    const progress = await handler.send({ type: "progress", job_id: job.id, progress: 40 });
    expect(await progress.json()).toMatchObject({ result: "ignored", status: "completed" });
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", progress: 100, error: null });
    const redelivered = await handler.send({ type: "image", job_id: job.id, image });
    expect(await redelivered.json()).toMatchObject({ result: "duplicate", status: "completed" });
  });

  it("ends the job failed with the handler's reason and ignores what comes after", async () => {
    const { key, job, handler } = await startJob("hook_failed", 1);
    await handler.send({ type: "failed", job_id: job.id, error: "ComfyUI rejected the workflow" });
    expect(await getJob(key, job.id)).toMatchObject({ status: "failed", error: "ComfyUI rejected the workflow" });
    const late = await handler.send({ type: "progress", job_id: job.id, progress: 80 });
    expect(await late.json()).toMatchObject({ result: "ignored", status: "failed" });
  });

  it("keeps the app's rules on its own mount: 415 for a body that is not JSON, 405 for another method, a request id on every answer", async () => {
    const { job, handler } = await startJob("hook_mount", 1);
    const path = `/api/webhooks/generation/${job.id}`;
    const text = await api(path, { method: "POST", headers: { "content-type": "text/plain", "x-request-id": "hook-trace-1" }, body: "progress 30" });
    expect(text.status).toBe(415);
    expect(text.headers.get("x-request-id")).toBe("hook-trace-1");
    const get = await api(path);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    const applied = await handler.send({ type: "progress", job_id: job.id, progress: 30 });
    expect(applied.status).toBe(200);
    expect(applied.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api(`/api/webhooks/runpod/${job.id}`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" })).status).toBe(415);
  });
});
