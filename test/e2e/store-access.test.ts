import type { EaselClient } from "@easel/client";
import { beforeAll, describe, expect, it } from "vitest";
import { contentImage } from "../../scripts/stack/sample-images.js";
import { clientFor, stack } from "./support.js";

let api: EaselClient;
let key: string;

beforeAll(async () => {
  api = await clientFor("e2e-store-access");
  ({ key } = await api.uploads.upload(contentImage(32)));
});

// versitygw, like RunPod's volume S3 API and a private bucket: the Worker's signed requests and
// its presigned URLs are the only ways in.
describe("the S3 server, to a request that Easel did not sign", () => {
  const objectUrl = (objectKey: string) => `${stack().store.endpoint}/${stack().store.bucket}/${objectKey}`;

  it("refuses an anonymous GET of an object, and an anonymous listing of the bucket", async () => {
    expect((await fetch(objectUrl(key))).status).toBe(403);
    expect((await fetch(`${stack().store.endpoint}/${stack().store.bucket}?list-type=2`)).status).toBe(403);
  });

  it("refuses an anonymous PUT, and nothing lands under the key", async () => {
    const target = key.replace(/[^/]+$/, "anonymous.png");
    const put = await fetch(objectUrl(target), { method: "PUT", headers: { "content-type": "image/png" }, body: contentImage(32) });
    expect(put.status).toBe(403);
    await expect(api.jobs.create({ type: "style-transfer", input: { style_image: target, content_image: key } })).rejects.toMatchObject({ status: 422 });
  });

  it("refuses a URL signed the old way (SigV2 query parameters): only SigV4 is taken", async () => {
    const sigV2 = `${objectUrl(key)}?AWSAccessKeyId=easel-local&Expires=${Math.floor(Date.now() / 1000) + 600}&Signature=${encodeURIComponent("a".repeat(28))}`;
    const response = await fetch(sigV2);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("AWS4-HMAC-SHA256");
  });
});
