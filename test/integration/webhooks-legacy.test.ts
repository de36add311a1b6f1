import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, bearer, createApiKey, createJob, getJob, postJson, storageReport, textToImage } from "../helpers/api.js";
import { SimulatedHandler, startJobOf } from "../helpers/handler.js";
import { pngBytes, sha256Hex, toBase64 } from "../helpers/images.js";
import { dispatchedRun } from "../helpers/runpod.js";

const startJob = (owner: string, body: unknown = textToImage(`legacy ${owner}`, 2)) => startJobOf(owner, body);

async function uploadInput(key: string, bytes: Uint8Array) {
  const response = await postJson("/api/uploads", { contentType: "image/png", contentLength: bytes.byteLength }, bearer(key));
  const upload = (await response.json()) as { key: string; url: string; headers: Record<string, string> };
  const put = await fetch(upload.url, { method: "PUT", headers: upload.headers, body: bytes });
  expect(put.status).toBe(200);
  return upload.key;
}

const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
// Past the legacy limit: base64 of the largest image (4/3 of it) plus the 64 KiB envelope.
const LEGACY_BODY_BYTES = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 65 * 1024;

const rows = async (jobId: string) =>
  (await env.DB.prepare("SELECT idx, key, size, source, sha256 FROM images WHERE job_id = ? ORDER BY idx").bind(jobId).all()).results;

describe("legacy handlers' shapes", () => {
  it("text-to-image: per-image messages with s3Key, then the legacy completion, end in metadata-only rows", async () => {
    const { key, job, handler } = await startJob("legacy_t2i");
    const images = [await handler.upload(0), await handler.upload(1)];
    for (const [index, image] of images.entries()) {
      const message = {
        job_id: job.id, image_index: index, total_images: 2,
        filename: `ComfyUI_0000${index + 1}_.png`, subfolder: "", type: "output", data: "",
        s3Key: image.key, networkVolumePath: `/runpod-volume/${image.key}`, fileSize: image.size, format: "png",
      };
      expect((await handler.sendUnsigned(message)).status).toBe(200);
    }
    const completion = {
      job_id: job.id, status: "COMPLETED", progress: 100,
      network_volume_paths: images.map((image, index) => ({ filename: `ComfyUI_0000${index + 1}_.png`, s3Key: image.key, networkVolumePath: `/runpod-volume/${image.key}`, fileSize: image.size, format: "png" })),
      resultUrls: images.map((_, index) => `http://127.0.0.1:8188/view?filename=ComfyUI_0000${index + 1}_.png&type=output`),
      s3Keys: images.map((image) => image.key),
      networkVolumePaths: images.map((image) => `/runpod-volume/${image.key}`),
      images: [],
    };
    expect((await handler.sendUnsigned(completion)).status).toBe(200);
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed" });
    expect(await rows(job.id)).toEqual(images.map((image, index) => ({ idx: index, key: image.key, size: image.size, source: "handler", sha256: null })));
    expect((await storageReport()).byType["text-to-image"]).toMatchObject({ bytesInD1: 0, rate: 100 });
  });

  it("style transfer: the legacy completion alone (s3Keys, network_volume_paths as strings) completes the job", async () => {
    const key = await createApiKey("legacy_style");
    const style = await uploadInput(key, pngBytes(32, 32, 512, 9));
    const content = await uploadInput(key, pngBytes(32, 32, 512, 3));
    const job = await createJob(key, { type: "style-transfer", input: { style_image: style, content_image: content, strength: 0.7 } });
    const input = (await dispatchedRun(job.id)).body.input;
    expect(input.inputs.style_image_url).toContain("X-Amz-Signature=");
    expect(new Uint8Array(await (await fetch(input.inputs.content_image_url!)).arrayBuffer())).toEqual(pngBytes(32, 32, 512, 3));
    const handler = new SimulatedHandler(input);
    const image = await handler.upload(0);
    const completion = {
      job_id: job.id, status: "COMPLETED", progress: 100,
      network_volume_paths: [`/runpod-volume/${image.key}`], resultUrls: [], s3Keys: [image.key], networkVolumePaths: [], images: [],
    };
    expect((await handler.sendUnsigned(completion)).status).toBe(200);
    const finished = await getJob(key, job.id);
    expect(finished).toMatchObject({ status: "completed", type: "style-transfer" });
    expect(finished.images).toHaveLength(1);
    expect((await storageReport()).byType["style-transfer"]).toMatchObject({ bytesInD1: 0, rate: 100 });
  });

  it("puts base64 bytes in the bucket and records only metadata (the 1.10 MB case)", async () => {
    const { key, job, handler } = await startJob("legacy_bytes", textToImage("bytes", 1));
    const bytes = pngBytes(1024, 1024, 1_153_434, 7);
    const response = await handler.sendUnsigned({ job_id: job.id, status: "COMPLETED", progress: 100, images: [toBase64(bytes)] });
    expect(response.status).toBe(200);
    const finished = await getJob(key, job.id);
    expect(finished).toMatchObject({ status: "completed" });
    expect(finished.images[0]).toMatchObject({ key: handler.input.outputs[0]!.key, size: bytes.byteLength, width: 1024, height: 1024 });
    const stored = new Uint8Array(await (await fetch(finished.images[0]!.url)).arrayBuffer());
    expect(await sha256Hex(stored)).toBe(await sha256Hex(bytes));
    expect(await rows(job.id)).toEqual([{ idx: 0, key: handler.input.outputs[0]!.key, size: bytes.byteLength, source: "legacy-bytes", sha256: await sha256Hex(bytes) }]);
    expect((await storageReport()).overall.bytesInD1).toBe(0);
  });

  it("assembles chunks sent out of order and twice, then uploads the image once", async () => {
    const { key, job, handler } = await startJob("legacy_chunks", textToImage("chunks", 1));
    const bytes = pngBytes(300, 200, 100_000, 5);
    const pieces = [0, 1, 2].map((chunk) => toBase64(bytes.subarray(chunk * 40_000, (chunk + 1) * 40_000)));
    for (const chunk of [2, 0, 2]) {
      const response = await handler.sendUnsigned({ job_id: job.id, index: 0, chunk, chunks: 3, data: pieces[chunk], filename: "out.png" });
      expect(response.status).toBe(200);
      expect((await getJob(key, job.id)).images).toHaveLength(0);
    }
    await handler.sendUnsigned({ job_id: job.id, index: 0, chunk: 1, chunks: 3, data: pieces[1], filename: "out.png" });
    const assembled = await getJob(key, job.id);
    expect(assembled.images[0]).toMatchObject({ size: bytes.byteLength, width: 300, height: 200 });
    expect(await sha256Hex(new Uint8Array(await (await fetch(assembled.images[0]!.url)).arrayBuffer()))).toBe(await sha256Hex(bytes));
    await handler.sendUnsigned({ job_id: job.id, status: "COMPLETED", progress: 100 });
    expect((await getJob(key, job.id)).status).toBe("completed");
  });

  it.each([
    ["base64 that does not decode", { data: "%%%not-base64%%%" }, 400],
    ["bytes that are no image", { data: toBase64(new TextEncoder().encode("just some text, not a picture")) }, 422],
    ["an image over the maximum size", { data: toBase64(pngBytes(64, 64, MAX_IMAGE_BYTES + 1)) }, 413],
  ])("rejects %s with nothing changed", { timeout: 60_000 }, async (_, fields, status) => {
    const { key, job, handler } = await startJob(`legacy_bad_${status}`, textToImage("bad", 1));
    const response = await handler.sendUnsigned({ job_id: job.id, image_index: 0, filename: "x.png", ...fields });
    expect(response.status).toBe(status);
    expect(await getJob(key, job.id)).toMatchObject({ status: "queued", images: [] });
    expect(await rows(job.id)).toEqual([]);
  });

  it("refuses an oversized webhook body before reading it", { timeout: 60_000 }, async () => {
    const { handler } = await startJob("legacy_huge", textToImage("huge", 1));
    const response = await api(handler.legacyCallbackPath, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ data: "A".repeat(LEGACY_BODY_BYTES) }),
    });
    expect(response.status).toBe(413);
  });
});

// Moving 28 MB through the Worker, the JobAssembler and the S3 server takes seconds on a shared machine.
describe("legacy bytes at the configured maximum (20 MiB, a body of about 28 MB)", { timeout: 60_000 }, () => {
  const largest = () => pngBytes(2048, 2048, MAX_IMAGE_BYTES, 11);

  it("stores a legacy image of exactly the maximum size sent to the legacy URL, and records only its metadata", async () => {
    const { key, job, handler } = await startJob("legacy_max", textToImage("largest", 1));
    const bytes = largest();
    const response = await handler.sendUnsigned({ job_id: job.id, image_index: 0, filename: "largest.png", data: toBase64(bytes) });
    expect(response.status).toBe(200);
    const [image] = (await getJob(key, job.id)).images;
    expect(image).toMatchObject({ size: MAX_IMAGE_BYTES, width: 2048, height: 2048 });
    const stored = new Uint8Array(await (await fetch(image!.url)).arrayBuffer());
    expect(await sha256Hex(stored)).toBe(await sha256Hex(bytes));
    expect(await rows(job.id)).toEqual([{ idx: 0, key: image!.key, size: MAX_IMAGE_BYTES, source: "legacy-bytes", sha256: await sha256Hex(bytes) }]);
  });

  it("stores one of the maximum size through POST /api/images/save", async () => {
    const { key, job } = await startJob("legacy_max_save", textToImage("largest saved", 1));
    const bytes = largest();
    const saved = await postJson("/api/images/save", { jobId: job.id, index: 0, data: toBase64(bytes), format: "png" }, bearer(key));
    expect(await saved.json()).toMatchObject({ storedAs: "bytes-uploaded", result: "applied" });
    const [image] = (await getJob(key, job.id)).images;
    expect(await sha256Hex(new Uint8Array(await (await fetch(image!.url)).arrayBuffer()))).toBe(await sha256Hex(bytes));
  });
});

describe("POST /api/images/save", () => {
  it("records an S3 key after checking it, idempotently per job and index", async () => {
    const { key, job, handler } = await startJob("save_key", textToImage("save", 1));
    const image = await handler.upload(0);
    const body = { jobId: job.id, index: 0, s3Key: image.key, filename: "ComfyUI_00001_.png", fileSize: image.size, format: "png" };
    const first = await postJson("/api/images/save", body, bearer(key));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ storedAs: "s3-key", result: "applied" });
    expect(await (await postJson("/api/images/save", body, bearer(key))).json()).toMatchObject({ result: "duplicate" });
    expect((await getJob(key, job.id)).images).toHaveLength(1);
    expect(await rows(job.id)).toHaveLength(1);
  });

  it("refuses an oversized body before reading it", { timeout: 60_000 }, async () => {
    const key = await createApiKey("save_huge");
    const response = await postJson("/api/images/save", { jobId: "job_not_read", index: 0, data: "A".repeat(LEGACY_BODY_BYTES) }, bearer(key));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
  });

  it("puts bytes in the bucket when no key is given, and refuses another owner's job", async () => {
    const { key, job } = await startJob("save_bytes", textToImage("save", 1));
    const bytes = pngBytes(20, 10, 300);
    const intruder = await createApiKey("save_intruder");
    expect((await postJson("/api/images/save", { jobId: job.id, index: 0, data: toBase64(bytes) }, bearer(intruder))).status).toBe(404);
    const saved = await postJson("/api/images/save", { jobId: job.id, index: 0, data: toBase64(bytes), format: "png" }, bearer(key));
    expect(await saved.json()).toMatchObject({ storedAs: "bytes-uploaded", result: "applied" });
    expect((await getJob(key, job.id)).images[0]).toMatchObject({ size: 300, width: 20, height: 10 });
    expect((await postJson("/api/images/save", { jobId: job.id, index: 0, data: toBase64(bytes) })).status).toBe(401);
    const missing = await postJson("/api/images/save", { jobId: job.id, index: 0 }, bearer(key));
    expect(missing.status).toBe(400);
  });
});
