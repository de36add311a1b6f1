import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { contentImage, styleImage } from "../../scripts/stack/sample-images.js";
import { clientFor, fetchImage, sha256Hex, stack } from "./support.js";

describe("a style transfer on the network volume", () => {
  it("reads its inputs from the volume's folder, writes its images there as plain files, and they are served by the Worker", async () => {
    const api = await clientFor("e2e-volume-job");
    const [style, content] = await Promise.all([api.uploads.upload(styleImage(128)), api.uploads.upload(contentImage(128))]);
    const created = await api.jobs.create({ type: "style-transfer", input: { style_image: style.key, content_image: content.key, width: 128, height: 128, num_images: 2 } });
    const job = await api.jobs.wait(created.id);
    expect(job).toMatchObject({ status: "completed", error: null });
    expect(job.images.map((image) => image.index)).toEqual([0, 1]);
    for (const image of job.images) {
      // What the handler wrote at /runpod-volume/{key} is the file the S3 gateway serves as the object.
      const file = readFileSync(join(stack().store.volumeMount!, image.key));
      expect(file.byteLength).toBe(image.size);
      // No presigned URL in this mode: the Worker streams the image, on a URL it signed itself.
      expect(image.url.startsWith(`${stack().workerUrl}/api/images/${image.id}?`)).toBe(true);
      expect(sha256Hex(await fetchImage(image.url))).toBe(sha256Hex(file));
    }
  });
});
