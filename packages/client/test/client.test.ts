import { env, exports } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { clientWebhookId, deliverClientWebhook } from "../../../workers/services/client-webhooks.js";
import { createObjectStore } from "../../../workers/services/storage.js";
import { BASE, createApiKey, textToImage } from "../../../test/helpers/api.js";
import { SimulatedHandler } from "../../../test/helpers/handler.js";
import { pngBytes } from "../../../test/helpers/images.js";
import { dispatchedRun } from "../../../test/helpers/runpod.js";
import { hookUrl, receivedBy } from "../../../test/helpers/webhook-receiver.js";
import { EaselClient, EaselError, type JobEvent } from "../src/index.js";

/** The Worker for its own URLs (in workerd), the network for the rest (presigned PUTs to the S3 server). */
const workerFetch: typeof fetch = (input, init) => {
  const request = new Request(input, init);
  return request.url.startsWith(BASE) ? exports.default.fetch(request) : fetch(request);
};

const clientFor = async (owner: string, fetcher: typeof fetch = workerFetch) =>
  new EaselClient({ baseUrl: BASE, apiKey: await createApiKey(owner), adminToken: "test-admin-token", fetch: fetcher });

async function finishJob(jobId: string, images: number) {
  const handler = new SimulatedHandler((await dispatchedRun(jobId)).body.input);
  const announced = [];
  for (let index = 0; index < images; index++) {
    const image = await handler.upload(index);
    await handler.send({ type: "image", job_id: jobId, image });
    announced.push(image);
  }
  await handler.send({ type: "completed", job_id: jobId, images: announced });
}

const failure = (promise: Promise<unknown>) => promise.then(() => { throw new Error("expected a failure"); }, (error: unknown) => error as EaselError);

describe("EaselClient jobs", () => {
  it("creates, gets, cancels and lists jobs across pages", async () => {
    const apiKey = await createApiKey("client_jobs");
    const easel = new EaselClient({ baseUrl: BASE, apiKey, fetch: workerFetch });
    const created = [];
    for (let index = 0; index < 5; index++) created.push(await easel.jobs.create(textToImage(`page ${index}`, 1)));
    expect(await easel.jobs.get(created[0]!.id)).toMatchObject({ id: created[0]!.id, status: "queued" });
    expect(await easel.jobs.cancel(created[4]!.id)).toMatchObject({ status: "canceled" });
    const pages: number[] = [];
    const paging: typeof fetch = async (input, init) => {
      const url = new URL(new Request(input, init).url);
      if (url.pathname === "/api/jobs") pages.push(Number(url.searchParams.get("limit")));
      return workerFetch(input, init);
    };
    const counted = new EaselClient({ baseUrl: BASE, apiKey, fetch: paging });
    const seen = [];
    for await (const job of counted.jobs.list({ limit: 2 })) seen.push(job.id);
    expect(seen).toEqual(created.map((job) => job.id).reverse());
    expect(pages).toEqual([2, 2, 2]);
    const canceled = [];
    for await (const job of easel.jobs.list({ status: "canceled" })) canceled.push(job.id);
    expect(canceled).toEqual([created[4]!.id]);
  });

  it("throws one typed error carrying the API's code, status and details", async () => {
    const easel = await clientFor("client_errors");
    const invalid = await failure(easel.jobs.create({ type: "text-to-image", input: { prompt: "x", width: 100 } }));
    expect(invalid).toBeInstanceOf(EaselError);
    expect(invalid).toMatchObject({ code: "validation_failed", status: 400, details: [{ path: "input.width" }] });
    expect(invalid.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await failure(easel.jobs.get("job_nothing"))).toMatchObject({ code: "not_found", status: 404 });
    const stranger = new EaselClient({ baseUrl: BASE, apiKey: "easel_sk_forged", fetch: workerFetch });
    expect(await failure(stranger.jobs.page())).toMatchObject({ code: "unauthorized", status: 401 });
    const keyless = new EaselClient({ baseUrl: BASE, fetch: workerFetch });
    expect(await failure(keyless.jobs.get("job_x"))).toMatchObject({ code: "missing_credentials" });
    const unreachable = new EaselClient({ baseUrl: "http://127.0.0.1:9", apiKey: "easel_sk_x" });
    expect(await failure(unreachable.jobs.get("job_x"))).toMatchObject({ code: "network_error" });
  });

  it("waits for a job with Prefer: wait, or by following its events", async () => {
    const easel = await clientFor("client_wait");
    const job = await easel.jobs.create(textToImage("wait", 2));
    const seen: string[] = [];
    const waited = easel.jobs.wait(job.id, { onEvent: (event) => seen.push(event.type) });
    await finishJob(job.id, 2);
    expect(await waited).toMatchObject({ id: job.id, status: "completed", images: [{ index: 0 }, { index: 1 }] });
    expect(seen).toEqual(["image", "image", "completed", "end"]);
    const failed = await easel.jobs.create(textToImage("[runpod:500]", 1), { wait: 10 });
    expect(failed.status).toBe("failed");
  });
});

describe("EaselClient jobs.events", () => {
  it("yields typed events and resumes with Last-Event-ID after a dropped connection, missing and repeating nothing", async () => {
    const owner = "client_events";
    const resumedWith: (string | null)[] = [];
    let cut = false;
    // The first stream breaks right after its first event, as a network would.
    const dropping: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (!request.url.endsWith("/events")) return workerFetch(request);
      resumedWith.push(request.headers.get("last-event-id"));
      const response = await workerFetch(request);
      if (cut || !response.body) return response;
      cut = true;
      const reader = response.body.getReader();
      let text = "";
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const read = await reader.read();
          if (read.done) return controller.close();
          text += new TextDecoder().decode(read.value);
          const firstEvent = text.match(/^[\s\S]*?\nid: \d+\n[\s\S]*?\n\n/);
          if (!firstEvent) return;
          controller.enqueue(new TextEncoder().encode(firstEvent[0]));
          await reader.cancel();
          controller.error(new TypeError("network connection lost"));
        },
      });
      return new Response(body, response);
    };
    const easel = await clientFor(owner, dropping);
    const job = await easel.jobs.create(textToImage("events", 2));
    await finishJob(job.id, 2);

    const events: JobEvent[] = [];
    let opened = 0;
    for await (const event of easel.jobs.events(job.id, { onOpen: () => opened++ })) events.push(event);
    expect(events.map((event) => [event.type, event.id])).toEqual([["image", 1], ["image", 2], ["completed", 3], ["end", null]]);
    expect(resumedWith).toEqual([null, "1"]);
    expect(opened).toBe(2);
    const image = events[0]!;
    if (image.type !== "image") throw new Error("expected an image event");
    expect(image.data).toMatchObject({ index: 0, key: `jobs/${owner}/${job.id}/0.png`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const completed = events[2]!;
    expect(completed.type === "completed" && completed.data.images).toBe(2);

    const afterEnd = [];
    for await (const event of easel.jobs.events(job.id, { lastEventId: 3 })) afterEnd.push(event);
    expect(afterEnd).toEqual([]);
  });
});

describe("EaselClient uploads", () => {
  it("uploads bytes and a Blob with their length, ready for a style transfer", async () => {
    const easel = await clientFor("client_uploads");
    const bytes = pngBytes(40, 30, 700);
    const fromBytes = await easel.uploads.upload(bytes);
    const fromBlob = await easel.uploads.upload(new Blob([pngBytes(20, 20, 300)], { type: "image/png" }));
    expect(fromBytes).toMatchObject({ key: expect.stringMatching(/^uploads\/client_uploads\/.+\.png$/), contentType: "image/png", contentLength: 700 });
    expect(fromBlob.contentLength).toBe(300);
    const stored = await createObjectStore(env).head(fromBytes.key);
    expect(stored).toMatchObject({ size: 700, contentType: "image/png" });
    const job = await easel.jobs.create({ type: "style-transfer", input: { style_image: fromBytes.key, content_image: fromBlob.key } });
    expect(job.status).toBe("queued");
    expect(await failure(easel.uploads.upload(new Uint8Array([1, 2, 3])))).toMatchObject({ code: "unknown_content_type" });
  });

  it("gives the upload's first step alone: where to PUT exactly the declared bytes", async () => {
    const easel = await clientFor("client_upload_steps");
    const upload = await easel.uploads.create({ contentType: "image/png", contentLength: 300 });
    expect(upload).toMatchObject({ key: expect.stringMatching(/^uploads\/client_upload_steps\/.+\.png$/), method: "PUT", headers: { "content-type": "image/png" } });
    expect(await failure(easel.uploads.create({ contentType: "image/png", contentLength: 20 * 1024 * 1024 + 1 }))).toMatchObject({ status: 413 });
  });

  it("refuses a file path outside Node, before asking the API for anything", async () => {
    const asked: string[] = [];
    const counting: typeof fetch = (input, init) => {
      asked.push(new Request(input, init).url);
      return workerFetch(input, init);
    };
    const easel = await clientFor("client_upload_path", counting);
    expect(await failure(easel.uploads.upload("style.png"))).toMatchObject({ code: "unsupported_source", message: expect.stringMatching(/Node only/) });
    expect(asked).toEqual([]);
  });
});

describe("EaselClient webhooks", () => {
  it("verifies a delivery with the key's secret and refuses a tampered one", async () => {
    const easel = await clientFor("client_webhooks");
    const job = await easel.jobs.create({ ...textToImage("hook", 1), webhook: hookUrl("client-verify") });
    await deliverClientWebhook(env, { jobId: job.id, event: "completed", webhookId: clientWebhookId(job.id, "completed"), attempt: 1 });
    const [received] = await receivedBy("client-verify");
    const secret = await easel.webhooks.secret();
    expect(easel.webhooks.verify(received!.headers, received!.body, secret)).toMatchObject({ id: job.id, type: "text-to-image" });
    expect(easel.webhooks.verify(new Headers(received!.headers), received!.body, secret).id).toBe(job.id);
    expect(() => easel.webhooks.verify(received!.headers, received!.body.replace(job.id, "job_other"), secret)).toThrow(EaselError);
    const rotated = await easel.webhooks.rotateSecret();
    expect(rotated).not.toBe(secret);
    const signed = new Webhook(rotated).sign("msg_1", new Date(), "{\"id\":\"job_1\"}");
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(Math.floor(Date.now() / 1000)), "webhook-signature": signed };
    expect(easel.webhooks.verify(headers, "{\"id\":\"job_1\"}", rotated)).toEqual({ id: "job_1" });
    expect(() => easel.webhooks.verify(headers, "{\"id\":\"job_1\"}", secret)).toThrow(/does not verify/);
  });
});

describe("EaselClient keys and reports", () => {
  it("creates, lists and revokes keys with the admin token; a key sees its own metadata", async () => {
    const admin = new EaselClient({ baseUrl: BASE, adminToken: "test-admin-token", fetch: workerFetch });
    const created = await admin.keys.create({ owner: "client_keys", name: "cli" });
    const own = new EaselClient({ baseUrl: BASE, apiKey: created.key, fetch: workerFetch });
    expect(await own.keys.current()).toMatchObject({ id: created.id, name: "cli", revokedAt: null });
    expect((await admin.keys.list({ owner: "client_keys" })).keys.map((key) => key.id)).toEqual([created.id]);
    expect((await admin.keys.revoke(created.id)).revokedAt).not.toBeNull();
    expect(await failure(own.keys.current())).toMatchObject({ code: "unauthorized" });
    expect((await admin.reports.storage()).overall.bytesInD1).toBe(0);
    expect((await admin.reports.usage({ owner: "client_keys" })).usage).toEqual([]);
    expect(await failure(own.keys.list())).toMatchObject({ code: "missing_credentials" });
  });
});
