import type { EaselClient } from "@easel/client";
import { beforeAll, describe, expect, it } from "vitest";
import { contentImage } from "../../scripts/stack/sample-images.js";
import { clientFor } from "./support.js";

let api: EaselClient;

beforeAll(async () => {
  api = await clientFor("e2e-uploads");
});

describe("uploads through presigned URLs, checked by the S3 server itself", () => {
  it("takes exactly the declared bytes, and the store refuses a PUT over the declared size", async () => {
    const bytes = contentImage(64);
    const upload = await api.uploads.create({ contentType: "image/png", contentLength: bytes.byteLength });
    expect(new URL(upload.url).searchParams.get("X-Amz-SignedHeaders")).toBe("content-length;content-type;host");

    const padded = new Uint8Array(bytes.byteLength + 1024);
    padded.set(bytes);
    const over = await fetch(upload.url, { method: "PUT", headers: { "content-type": "image/png" }, body: padded });
    expect(over.status).toBe(403);
    expect(await over.text()).toContain("SignatureDoesNotMatch");
    // Nothing was parked under the key: a job naming it is refused before it is recorded.
    await expect(api.jobs.create({ type: "style-transfer", input: { style_image: upload.key, content_image: upload.key } })).rejects.toMatchObject({ status: 422 });

    const exact = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
    expect(exact.status).toBe(200);
    const job = await api.jobs.create({ type: "style-transfer", input: { style_image: upload.key, content_image: upload.key, width: 64, height: 64 } });
    expect(await api.jobs.wait(job.id)).toMatchObject({ status: "completed" });
  });

  it("refuses to hand out a URL for more than the maximum image size", async () => {
    await expect(api.uploads.create({ contentType: "image/png", contentLength: 20 * 1024 * 1024 + 1 })).rejects.toMatchObject({ status: 413 });
  });
});
