import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createObjectStore } from "../../workers/services/storage.js";
import { api, bearer, createApiKey, createJob, getJob, postJson, textToImage } from "../helpers/api.js";
import { SimulatedHandler } from "../helpers/handler.js";
import { pngBytes, sha256Hex } from "../helpers/images.js";
import { dispatchedJobIds, dispatchedRun } from "../helpers/runpod.js";

type Upload = { key: string; url: string; method: string; headers: Record<string, string>; expiresAt: string };
type ErrorBody = { error: { code: string; message: string; details?: { path: string; message: string }[] } };

const MAX_IMAGE_BYTES = Number(env.MAX_IMAGE_BYTES);
const json = (key: string) => ({ ...bearer(key), "content-type": "application/json" });

async function askUpload(call: typeof api, key: string, contentLength: number, contentType = "image/png") {
  const response = await call("/api/uploads", { method: "POST", headers: json(key), body: JSON.stringify({ contentType, contentLength }) });
  expect(response.status).toBe(201);
  return (await response.json()) as Upload;
}

describe("POST /api/uploads with a store that presigns", () => {
  it("gives a short-lived presigned PUT under the owner's prefix, with its type and exact size signed in", async () => {
    const key = await createApiKey("uploads_owner");
    const upload = await askUpload(api, key, 1000, "image/jpeg");
    expect(upload.key).toMatch(/^uploads\/uploads_owner\/[A-Za-z0-9_-]+\.jpg$/);
    expect(upload.method).toBe("PUT");
    expect(upload.headers).toEqual({ "content-type": "image/jpeg", "content-length": "1000" });
    const expiresIn = Date.parse(upload.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(10 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000);

    // Recorded, so that the retention sweep deletes it if no job uses it.
    const recorded = await env.DB.prepare("SELECT owner, content_type, content_length FROM uploads WHERE key = ?").bind(upload.key).first();
    expect(recorded).toEqual({ owner: "uploads_owner", content_type: "image/jpeg", content_length: 1000 });

    const store = createObjectStore(env);
    expect((await fetch(upload.url, { method: "PUT", headers: { "content-type": "image/png" }, body: new Uint8Array(1000) })).status).toBe(403);
    const oversized = await fetch(upload.url, { method: "PUT", headers: { "content-type": "image/jpeg" }, body: new Uint8Array(40 * 1024) });
    expect(oversized.status).toBe(403);
    expect(await store.head(upload.key)).toBeNull();
    expect((await fetch(upload.url, { method: "PUT", headers: upload.headers, body: new Uint8Array(1000) })).status).toBe(200);
    expect(await store.head(upload.key)).toMatchObject({ size: 1000, contentType: "image/jpeg" });
  });

  it("refuses a type that is not an image, a missing or empty size, a size over the maximum, and a caller without a key", async () => {
    const key = await createApiKey("uploads_bad");
    const ask = (body: unknown) => postJson("/api/uploads", body, bearer(key));
    const fieldOf = async (response: Response) => ((await response.json()) as ErrorBody).error.details?.[0]?.path;

    const html = await ask({ contentType: "text/html", contentLength: 10 });
    expect(html.status).toBe(400);
    expect(await fieldOf(html)).toBe("contentType");
    for (const contentLength of [undefined, 0, 1.5]) {
      const response = await ask({ contentType: "image/png", contentLength });
      expect(response.status).toBe(400);
      expect(await fieldOf(response)).toBe("contentLength");
    }
    const huge = await ask({ contentType: "image/png", contentLength: MAX_IMAGE_BYTES + 1 });
    expect(huge.status).toBe(413);
    expect(await fieldOf(huge)).toBe("contentLength");
    expect((await ask({ contentType: "image/png", contentLength: MAX_IMAGE_BYTES })).status).toBe(201);
    expect((await postJson("/api/uploads", { contentType: "image/png", contentLength: 10 })).status).toBe(401);
  });
});

describe("job creation checks each input image before any GPU time", () => {
  const store = createObjectStore(env);
  const styleTransfer = (style: string, content: string) => ({ type: "style-transfer", input: { style_image: style, content_image: content } });

  it.each([
    ["missing", async (owner: string) => `uploads/${owner}/never-uploaded.png`, /was not uploaded/],
    ["another owner's", async () => { await store.put("uploads/someone_else/a.png", pngBytes(8, 8), "image/png"); return "uploads/someone_else/a.png"; }, /not one of your uploads/],
    ["oversized", async (owner: string) => { await store.put(`uploads/${owner}/big.png`, pngBytes(8, 8, MAX_IMAGE_BYTES + 1), "image/png"); return `uploads/${owner}/big.png`; }, /over the \d+-byte maximum/],
    ["non-image", async (owner: string) => { await store.put(`uploads/${owner}/page.png`, new TextEncoder().encode("<html>not an image</html>"), "image/png"); return `uploads/${owner}/page.png`; }, /not a PNG, JPEG or WebP image/],
    ["empty", async (owner: string) => { await store.put(`uploads/${owner}/empty.png`, new Uint8Array(0), "image/png"); return `uploads/${owner}/empty.png`; }, /not a PNG, JPEG or WebP image/],
  ])("refuses a %s input with 422 naming the field, and records and dispatches nothing", async (what, place, reason) => {
    const owner = `inputs_${what.replace(/\W/g, "")}`;
    const key = await createApiKey(owner);
    const good = `uploads/${owner}/good.png`;
    await store.put(good, pngBytes(32, 32, 500), "image/png");
    const bad = await place(owner);

    for (const [body, field] of [[styleTransfer(bad, good), "input.style_image"], [styleTransfer(good, bad), "input.content_image"]] as const) {
      const response = await postJson("/api/jobs", body, bearer(key));
      expect(response.status).toBe(422);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.details).toEqual([{ path: field, message: expect.stringMatching(reason) }]);
      expect(error.message).toContain(field);
    }
    const list = (await (await api("/api/jobs", { headers: bearer(key) })).json()) as { jobs: unknown[] };
    expect(list.jobs).toHaveLength(0);
    expect(await dispatchedJobIds(owner)).toEqual([]);
  });

  it("names both fields when both inputs are bad, and takes two good ones", async () => {
    const key = await createApiKey("inputs_both");
    const response = await postJson("/api/jobs", styleTransfer("uploads/inputs_both/a.png", "uploads/inputs_both/b.png"), bearer(key));
    expect(response.status).toBe(422);
    expect(((await response.json()) as ErrorBody).error.details?.map((detail) => detail.path)).toEqual(["input.style_image", "input.content_image"]);

    await store.put("uploads/inputs_both/a.png", pngBytes(32, 32, 500), "image/png");
    await store.put("uploads/inputs_both/b.webp", new Uint8Array([...new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "), ...new Uint8Array(40)]), "image/webp");
    const job = await createJob(key, styleTransfer("uploads/inputs_both/a.png", "uploads/inputs_both/b.webp"));
    expect(await dispatchedJobIds("inputs_both")).toEqual([job.id]);
    const { inputs } = (await dispatchedRun(job.id)).body.input;
    expect(inputs.style_image_url).toContain("X-Amz-Signature=");
    expect(inputs.content_image_url).toContain("X-Amz-Signature=");
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
