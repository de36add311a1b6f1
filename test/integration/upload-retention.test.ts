import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/index.js";
import { createObjectStore } from "../../workers/services/storage.js";
import { sweepUnusedUploads } from "../../workers/services/upload-retention.js";
import { bearer, createApiKey, createJob, postJson } from "../helpers/api.js";
import { pngBytes } from "../helpers/images.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** An input image PUT through POST /api/uploads, as if handed out `ageMs` ago. */
async function upload(key: string, owner: string, ageMs: number): Promise<string> {
  const bytes = pngBytes(32, 32, 256);
  const response = await postJson("/api/uploads", { contentType: "image/png", contentLength: bytes.byteLength }, bearer(key));
  const target = (await response.json()) as { key: string; url: string; headers: Record<string, string> };
  expect((await fetch(target.url, { method: "PUT", headers: target.headers, body: bytes })).status).toBe(200);
  // POST /api/uploads recorded it just now; the test moves that back.
  await env.DB.prepare("UPDATE uploads SET created_at = ? WHERE key = ?").bind(Date.now() - ageMs, target.key).run();
  return target.key;
}

const recorded = async (key: string) => (await env.DB.prepare("SELECT 1 FROM uploads WHERE key = ?").bind(key).first()) !== null;

describe("sweepUnusedUploads", () => {
  it("deletes uploads no job used once they are older than the retention, and keeps the rest", async () => {
    const owner = "retention_owner";
    const key = await createApiKey(owner);
    const usedOld = await upload(key, owner, 2 * DAY_MS);
    const unusedOld = await upload(key, owner, 2 * DAY_MS);
    const unusedNew = await upload(key, owner, 60_000);
    await createJob(key, { type: "style-transfer", input: { style_image: usedOld, content_image: unusedNew } });
    const store = createObjectStore(env);

    const swept = await sweepUnusedUploads(env);
    expect(swept.failed).toBe(0);
    expect(swept.deleted).toBeGreaterThanOrEqual(1);
    expect(await store.head(unusedOld)).toBeNull();
    expect(await recorded(unusedOld)).toBe(false);
    for (const kept of [usedOld, unusedNew]) {
      expect(await store.head(kept)).not.toBeNull();
      expect(await recorded(kept)).toBe(true);
    }
    expect(await sweepUnusedUploads(env)).toEqual({ deleted: 0, failed: 0 });
  });

  it("keeps the record when the store cannot delete, so the next run tries again", async () => {
    const owner = "retention_store_down";
    const stale = await upload(await createApiKey(owner), owner, 3 * DAY_MS);
    const swept = await sweepUnusedUploads({ ...env, S3_ENDPOINT: "http://127.0.0.1:9" });
    expect(swept.failed).toBeGreaterThanOrEqual(1);
    expect(await recorded(stale)).toBe(true);
    expect((await sweepUnusedUploads(env)).failed).toBe(0);
    expect(await recorded(stale)).toBe(false);
  });

  it("reads its retention from UPLOAD_RETENTION_SECONDS", async () => {
    const owner = "retention_setting";
    const recent = await upload(await createApiKey(owner), owner, 10 * 60_000);
    await sweepUnusedUploads(env);
    expect(await recorded(recent)).toBe(true);
    await sweepUnusedUploads({ ...env, UPLOAD_RETENTION_SECONDS: "60" });
    expect(await recorded(recent)).toBe(false);
  });
});

describe("the Cron Trigger", () => {
  it("sweeps unused uploads too", async () => {
    const owner = "retention_cron";
    const stale = await upload(await createApiKey(owner), owner, 2 * DAY_MS);
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "*/5 * * * *" }), env);
    expect(await recorded(stale)).toBe(false);
    expect(await createObjectStore(env).head(stale)).toBeNull();
  });
});
