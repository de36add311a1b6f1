import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { EaselClient, Upload } from "@easel/client";
import { beforeAll, describe, expect, it } from "vitest";
import { contentImage } from "../../scripts/stack/sample-images.js";
import { clientFor, stack } from "./support.js";

let api: EaselClient;

beforeAll(async () => {
  api = await clientFor("e2e-volume-uploads");
});

const put = (upload: Upload, body: Uint8Array<ArrayBuffer>, headers = upload.headers) => fetch(upload.url, { method: upload.method, headers, body });
const messageOf = async (response: Response) => ((await response.json()) as { error: { message: string } }).error.message;

describe("uploads taken by the Worker, for a store that cannot presign", () => {
  it("go through the Worker's signed upload route into the volume's folder, byte for byte", async () => {
    const bytes = contentImage(96);
    const upload = await api.uploads.create({ contentType: "image/png", contentLength: bytes.byteLength });
    expect(upload.url.startsWith(`${stack().workerUrl}/api/uploads/`)).toBe(true);
    const response = await put(upload, bytes);
    expect(response.status).toBe(200);
    // What the handler will read at /runpod-volume/{key}: the folder the S3 gateway serves.
    expect(new Uint8Array(readFileSync(join(stack().store.volumeMount!, upload.key)))).toEqual(new Uint8Array(bytes));
  });

  it("refuses bytes that are not an image with 415", async () => {
    const text = new TextEncoder().encode("#!/bin/sh\necho not an image\n");
    const upload = await api.uploads.create({ contentType: "image/png", contentLength: text.byteLength });
    const response = await put(upload, text);
    expect(response.status).toBe(415);
    expect(await messageOf(response)).toMatch(/not a PNG, JPEG or WebP image/);
  });

  it("refuses an oversized upload with 413, when asked for and when its Content-Length says so", async () => {
    await expect(api.uploads.create({ contentType: "image/png", contentLength: 20 * 1024 * 1024 + 1 })).rejects.toMatchObject({ status: 413 });
    const upload = await api.uploads.create({ contentType: "image/png", contentLength: 1000 });
    const oversized = new Uint8Array(20 * 1024 * 1024 + 1);
    oversized.set(contentImage(32));
    const response = await put(upload, oversized, { "content-type": "image/png" });
    expect(response.status).toBe(413);
    expect(await messageOf(response)).toMatch(/at most 20971520 bytes/);
  });

  it("refuses a tampered upload URL with 403, and a PUT of another size than signed", async () => {
    const bytes = contentImage(48);
    const upload = await api.uploads.create({ contentType: "image/png", contentLength: bytes.byteLength });
    const url = new URL(upload.url);
    url.searchParams.set("expires", String(Number(url.searchParams.get("expires")) + 86_400));
    const tampered = await put({ ...upload, url: url.toString() }, bytes);
    expect(tampered.status).toBe(403);
    expect(await messageOf(tampered)).toMatch(/signature does not match/);

    const longer = new Uint8Array(bytes.byteLength + 10);
    longer.set(bytes);
    expect((await put(upload, longer, { "content-type": "image/png" })).status).toBe(403);
  });
});
