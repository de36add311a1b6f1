import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HandlerInput } from "../../schema/contract/index.js";
import { createApp } from "../../workers/app.js";
import { createObjectStore } from "../../workers/services/storage.js";
import { BASE, api, bearer, createApiKey, textToImage } from "../helpers/api.js";
import { SimulatedHandler } from "../helpers/handler.js";
import { pngBytes, sha256Hex } from "../helpers/images.js";
import { dispatchedRun } from "../helpers/runpod.js";

// This project's Worker, and so its JobAssembler, runs with S3_MODE=network-volume (vitest.config.ts).
const json = (key: string) => ({ ...bearer(key), "content-type": "application/json" });

/** A request to the Worker, answered once the work it left running (the edge cache's put) is done. */
async function settledFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await createApp().fetch(new Request(`${BASE}${path}`, init), env, ctx);
  const body = new Uint8Array(await response.arrayBuffer());
  await waitOnExecutionContext(ctx);
  return new Response(body, response);
}

describe("a store that cannot presign (RunPod network volume)", () => {
  it("dispatches each input image's path on the volume, never a URL or its bytes", async () => {
    const key = await createApiKey("volume_inputs");
    const store = createObjectStore(env);
    await store.put("uploads/volume_inputs/style.png", pngBytes(32, 32, 500), "image/png");
    await store.put("uploads/volume_inputs/content.png", pngBytes(32, 32, 600), "image/png");
    const input = { style_image: "uploads/volume_inputs/style.png", content_image: "uploads/volume_inputs/content.png", strength: 0.5 };
    const created = await api("/api/jobs", { method: "POST", headers: json(key), body: JSON.stringify({ type: "style-transfer", input }) });
    expect(created.status).toBe(202);
    const dispatched = HandlerInput.parse((await dispatchedRun(((await created.json()) as { id: string }).id)).body.input);
    expect(dispatched.network_volume).toEqual({ mount_path: "/runpod-volume" });
    expect(dispatched.inputs).toEqual({
      style_image_path: "/runpod-volume/uploads/volume_inputs/style.png",
      content_image_path: "/runpod-volume/uploads/volume_inputs/content.png",
    });
    expect(dispatched.outputs.every((output) => output.upload_url === undefined)).toBe(true);

    const page = await api("/api/jobs", {
      method: "POST",
      headers: json(key),
      body: JSON.stringify({ type: "style-transfer", input: { ...input, content_image: "uploads/volume_inputs/missing.png" } }),
    });
    expect(page.status).toBe(422);
  });

  it("dispatches volume paths instead of upload URLs and streams images through the Worker", async () => {
    const key = await createApiKey("volume_owner");
    const created = await api("/api/jobs", { method: "POST", headers: json(key), body: JSON.stringify(textToImage("volume", 1)) });
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

    const view = (await (await api(`/api/jobs/${job.id}`, { headers: bearer(key) })).json()) as { images: { id: string; url: string }[] };
    const signedUrl = new URL(view.images[0]!.url);
    expect(`${signedUrl.origin}${signedUrl.pathname}`).toBe(`${BASE}/api/images/${view.images[0]!.id}`);
    const viaSignedUrl = await api(`${signedUrl.pathname}${signedUrl.search}`);
    expect(viaSignedUrl.status).toBe(200);
    expect(new Uint8Array(await viaSignedUrl.arrayBuffer())).toEqual(bytes);
    const tampered = `${signedUrl.pathname}?expires=${signedUrl.searchParams.get("expires")}&signature=${"A".repeat(43)}`;
    expect((await api(tampered)).status).toBe(401);
    const prolonged = `${signedUrl.pathname}?expires=${Number(signedUrl.searchParams.get("expires")) + 3600}&signature=${signedUrl.searchParams.get("signature")}`;
    expect((await api(prolonged)).status).toBe(401);
    expect((await api(signedUrl.pathname)).status).toBe(401);
    const streamed = await settledFetch(`/api/images/${view.images[0]!.id}`, { headers: bearer(key) });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("content-type")).toBe("image/png");
    expect(new Uint8Array(await streamed.arrayBuffer())).toEqual(bytes);
    expect(streamed.headers.get("cache-control")).toMatch(/^private/);

    const store = createObjectStore(env);
    await store.put(input.outputs[0]!.key, pngBytes(16, 16, 700, 9), "image/png");
    const fromEdge = await api(`/api/images/${view.images[0]!.id}`, { headers: bearer(key) });
    expect(new Uint8Array(await fromEdge.arrayBuffer())).toEqual(bytes);
  });
});
