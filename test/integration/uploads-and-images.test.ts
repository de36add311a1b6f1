import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HandlerInput } from "../../schema/contract/index.js";
import { createApp } from "../../workers/app.js";
import { createObjectStore } from "../../workers/services/storage.js";
import { BASE, api, bearer, createApiKey, createJob, getJob, postJson, textToImage } from "../helpers/api.js";
import { SimulatedHandler } from "../helpers/handler.js";
import { pngBytes, sha256Hex } from "../helpers/images.js";
import { dispatchedRun } from "../helpers/runpod.js";

describe("POST /api/uploads", () => {
  it("gives a short-lived presigned PUT under the owner's prefix with the content type signed in", async () => {
    const key = await createApiKey("uploads_owner");
    const response = await postJson("/api/uploads", { contentType: "image/jpeg" }, bearer(key));
    expect(response.status).toBe(201);
    const upload = (await response.json()) as { key: string; url: string; headers: Record<string, string>; expiresAt: string };
    expect(upload.key).toMatch(/^uploads\/uploads_owner\/[A-Za-z0-9_-]+\.jpg$/);
    expect(upload.headers["content-type"]).toBe("image/jpeg");
    const expiresIn = Date.parse(upload.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(10 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);
    expect((await fetch(upload.url, { method: "PUT", headers: { "content-type": "image/png" }, body: "x" })).status).toBe(403);
    expect((await fetch(upload.url, { method: "PUT", headers: upload.headers, body: "jpeg bytes" })).status).toBe(200);
  });

  it("refuses a content type that is not an image and a caller without a key", async () => {
    const key = await createApiKey("uploads_bad");
    const response = await postJson("/api/uploads", { contentType: "text/html" }, bearer(key));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe("contentType");
    expect((await postJson("/api/uploads", { contentType: "image/png" })).status).toBe(401);
  });
});

describe("GET /api/images/:id", () => {
  it("redirects the owner to a short-lived presigned GET and hides the image from others", async () => {
    const key = await createApiKey("images_owner");
    const job = await createJob(key, textToImage("images", 1));
    const handler = new SimulatedHandler((await dispatchedRun(job.id)).body.input);
    const image = await handler.upload(0);
    await handler.send({ type: "image", job_id: job.id, image });
    const { images } = await getJob(key, job.id);
    const response = await api(`/api/images/${images[0]!.id}`, { headers: bearer(key), redirect: "manual" });
    expect(response.status).toBe(302);
    const location = response.headers.get("location")!;
    expect(location).toMatch(/X-Amz-Expires=300/);
    expect(await sha256Hex(new Uint8Array(await (await fetch(location)).arrayBuffer()))).toBe(image.sha256);
    const other = await createApiKey("images_other");
    expect((await api(`/api/images/${images[0]!.id}`, { headers: bearer(other), redirect: "manual" })).status).toBe(404);
    expect((await api("/api/images/img_missing", { headers: bearer(key), redirect: "manual" })).status).toBe(404);
  });
});

describe("a store that cannot presign (RunPod network volume)", () => {
  const volumeEnv = { ...env, S3_MODE: "network-volume" };
  const volumeApi = (path: string, init: RequestInit = {}) =>
    createApp().fetch(new Request(`${BASE}${path}`, init), volumeEnv, createExecutionContext());

  it("refuses input uploads and style transfers clearly, since it cannot hand out URLs for them", async () => {
    const key = await createApiKey("volume_inputs");
    const upload = await volumeApi("/api/uploads", { method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: JSON.stringify({ contentType: "image/png" }) });
    expect(upload.status).toBe(503);
    expect(((await upload.json()) as { error: { message: string } }).error.message).toMatch(/network-volume/);
    const input = { style_image: "uploads/volume_inputs/a.png", content_image: "uploads/volume_inputs/b.png" };
    const job = await volumeApi("/api/jobs", { method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: JSON.stringify({ type: "style-transfer", input }) });
    expect(job.status).toBe(503);
    const list = (await (await api("/api/jobs", { headers: bearer(key) })).json()) as { jobs: unknown[] };
    expect(list.jobs).toHaveLength(0);
  });

  it("dispatches volume paths instead of upload URLs and streams images through the Worker", async () => {
    const key = await createApiKey("volume_owner");
    const created = await volumeApi("/api/jobs", { method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: JSON.stringify(textToImage("volume", 1)) });
    expect(created.status).toBe(202);
    const job = (await created.json()) as { id: string };
    const input = HandlerInput.parse((await dispatchedRun(job.id)).body.input);
    expect(input.network_volume).toEqual({ mount_path: "/runpod-volume" });
    expect(input.outputs[0]!.upload_url).toBeUndefined();

    const bytes = pngBytes(16, 16, 700, 4);
    await createObjectStore(env).put(input.outputs[0]!.key, bytes, "image/png");
    const handler = new SimulatedHandler(input);
    const announced = { index: 0, key: input.outputs[0]!.key, size: 700, content_type: "image/png", width: 16, height: 16, sha256: await sha256Hex(bytes) };
    expect((await handler.send({ type: "image", job_id: job.id, image: announced })).status).toBe(200);

    const view = (await (await volumeApi(`/api/jobs/${job.id}`, { headers: bearer(key) })).json()) as { images: { id: string; url: string }[] };
    const signedUrl = new URL(view.images[0]!.url);
    expect(`${signedUrl.origin}${signedUrl.pathname}`).toBe(`${BASE}/api/images/${view.images[0]!.id}`);
    const viaSignedUrl = await volumeApi(`${signedUrl.pathname}${signedUrl.search}`);
    expect(viaSignedUrl.status).toBe(200);
    expect(new Uint8Array(await viaSignedUrl.arrayBuffer())).toEqual(bytes);
    const tampered = `${signedUrl.pathname}?expires=${signedUrl.searchParams.get("expires")}&signature=${"A".repeat(43)}`;
    expect((await volumeApi(tampered)).status).toBe(401);
    const prolonged = `${signedUrl.pathname}?expires=${Number(signedUrl.searchParams.get("expires")) + 3600}&signature=${signedUrl.searchParams.get("signature")}`;
    expect((await volumeApi(prolonged)).status).toBe(401);
    expect((await volumeApi(signedUrl.pathname)).status).toBe(401);
    const streamed = await volumeApi(`/api/images/${view.images[0]!.id}`, { headers: bearer(key) });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await streamed.arrayBuffer())).toEqual(bytes);
    expect(streamed.headers.get("cache-control")).toMatch(/^private/);

    await new Promise((resolve) => setTimeout(resolve, 50));
    const store = createObjectStore(env);
    await store.put(input.outputs[0]!.key, pngBytes(16, 16, 700, 9), "image/png");
    const fromEdge = await volumeApi(`/api/images/${view.images[0]!.id}`, { headers: bearer(key) });
    expect(new Uint8Array(await fromEdge.arrayBuffer())).toEqual(bytes);
  });
});
