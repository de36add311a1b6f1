import { describe, expect, it } from "vitest";
import { legacyContentType } from "../../schema/contract/index.js";
import { api, bearer, createApiKey, createJob, postJson, textToImage } from "../helpers/api.js";

describe("legacyContentType", () => {
  it("reads the type from format or the file name's extension", () => {
    expect(legacyContentType({ format: "image/JPEG" })).toBe("image/jpeg");
    expect(legacyContentType({ filename: "out.webp" })).toBe("image/webp");
    expect(legacyContentType({})).toBe("image/png");
  });

  it("is not fooled by names of Object's own properties (schemathesis sent filename __proto__: a 500)", () => {
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(legacyContentType({ filename: name })).toBe("image/png");
      expect(legacyContentType({ filename: `image.${name}` })).toBe("image/png");
      expect(legacyContentType({ format: name })).toBe("image/png");
    }
  });

  it("lets POST /api/images/save answer such a body with a clear 4xx, not a 500", async () => {
    const key = await createApiKey("legacy_proto");
    const job = await createJob(key, textToImage("proto", 1));
    const response = await postJson("/api/images/save", { jobId: job.id, index: 0, filename: "__proto__", data: "00yPT-N=" }, bearer(key));
    expect(response.status).toBe(422);
    expect((await api(`/api/jobs/${job.id}`, { headers: bearer(key) })).status).toBe(200);
  });
});
