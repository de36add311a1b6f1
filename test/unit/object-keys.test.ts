import { describe, expect, it } from "vitest";
import { extensionFor, isKeyUnder, jobPrefix, outputKey, uploadKey } from "../../workers/services/object-keys.js";

describe("bucket key scheme", () => {
  it("puts uploads under the owner, one fresh uuid each, with the type's extension", () => {
    const first = uploadKey("own_a", "image/png");
    const second = uploadKey("own_a", "image/png");
    expect(first).toMatch(/^uploads\/own_a\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.png$/);
    expect(second).not.toBe(first);
    expect(uploadKey("own_a", "image/jpeg")).toMatch(/\.jpg$/);
  });

  it("puts a job's outputs under its prefix, named by index", () => {
    expect(jobPrefix("own_a", "job_1")).toBe("jobs/own_a/job_1/");
    expect(outputKey("own_a", "job_1", 0, "image/png")).toBe("jobs/own_a/job_1/0.png");
    expect(outputKey("own_a", "job_1", 12, "image/webp")).toBe("jobs/own_a/job_1/12.webp");
  });

  it("maps content types to extensions, ignoring parameters and case", () => {
    expect(extensionFor("image/png")).toBe("png");
    expect(extensionFor("IMAGE/JPEG; charset=binary")).toBe("jpg");
    expect(extensionFor("image/webp")).toBe("webp");
    expect(extensionFor("application/octet-stream")).toBe("bin");
  });

  it("refuses ids and indexes that would not make a safe key", () => {
    expect(() => jobPrefix("own/../b", "job_1")).toThrow(TypeError);
    expect(() => jobPrefix("own_a", "")).toThrow(TypeError);
    expect(() => uploadKey("own a", "image/png")).toThrow(TypeError);
    expect(() => outputKey("own_a", "job_1", -1, "image/png")).toThrow(RangeError);
    expect(() => outputKey("own_a", "job_1", 1.5, "image/png")).toThrow(RangeError);
  });
});

describe("isKeyUnder", () => {
  const prefix = "jobs/own_a/job_1/";

  it("accepts keys inside the prefix, at any depth", () => {
    expect(isKeyUnder("jobs/own_a/job_1/0.png", prefix)).toBe(true);
    expect(isKeyUnder("jobs/own_a/job_1/sub/0.png", prefix)).toBe(true);
  });

  it.each([
    ["a '..' segment climbing out", "jobs/own_a/job_1/../job_2/0.png"],
    ["a sibling whose name starts like the prefix", "jobs/own_a/job_10/0.png"],
    ["another owner", "jobs/own_b/job_1/0.png"],
    ["the prefix itself", "jobs/own_a/job_1/"],
    ["a leading '/'", "/jobs/own_a/job_1/0.png"],
    ["a '.' segment", "jobs/own_a/job_1/./0.png"],
    ["an empty segment", "jobs/own_a/job_1//0.png"],
    ["a space", "jobs/own_a/job_1/a b.png"],
    ["a backslash", "jobs/own_a/job_1/..\\0.png"],
    ["a percent escape", "jobs/own_a/job_1/%2e%2e/0.png"],
    ["a non-ASCII character", "jobs/own_a/job_1/é.png"],
  ])("rejects %s", (_, key) => {
    expect(isKeyUnder(key, prefix)).toBe(false);
  });

  it("reads a prefix without a trailing '/' as the same folder", () => {
    expect(isKeyUnder("jobs/own_a/job_10/0.png", "jobs/own_a/job_1")).toBe(false);
    expect(isKeyUnder("jobs/own_a/job_1/0.png", "jobs/own_a/job_1")).toBe(true);
  });
});
