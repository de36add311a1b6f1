import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Job, JobList } from "../../schema/contract/index.js";
import { imageRowId } from "../../workers/assembler/d1-sync.js";
import { newId } from "../../workers/services/hashing.js";
import { outputKey } from "../../workers/services/object-keys.js";
import { api, bearer, createApiKey, createJob, getJob, postJson, textToImage } from "../helpers/api.js";
import { SimulatedHandler } from "../helpers/handler.js";
import { dispatchedRun } from "../helpers/runpod.js";

const list = async (key: string, query = "") => {
  const response = await api(`/api/jobs${query}`, { headers: bearer(key) });
  expect(response.status).toBe(200);
  return (await response.json()) as JobList;
};

async function completedJob(key: string, prompt: string, images = 2) {
  const job = await createJob(key, textToImage(prompt, images));
  const handler = new SimulatedHandler((await dispatchedRun(job.id)).body.input);
  const announced = [];
  for (let index = 0; index < images; index++) {
    const image = await handler.upload(index);
    await handler.send({ type: "image", job_id: job.id, image });
    announced.push(image);
  }
  await handler.send({ type: "completed", job_id: job.id, images: announced });
  return { job, announced };
}

describe("the job view", () => {
  it("shows each image's sha256 and delivery time, and timings computed from the recorded times", async () => {
    const key = await createApiKey("views_metrics");
    const { job, announced } = await completedJob(key, "metrics");
    const created = Date.parse(job.createdAt);
    await env.DB.prepare("UPDATE jobs SET started_at = ?, completed_at = ?, runpod_delay_ms = 900, runpod_execution_ms = 4100 WHERE id = ?")
      .bind(created + 1000, created + 6500, job.id).run();
    await env.DB.prepare("UPDATE images SET delivered_at = ? + idx * 2000 WHERE job_id = ?").bind(created + 3000, job.id).run();

    const view = await getJob(key, job.id);
    expect(view.images.map((image) => image.sha256)).toEqual(announced.map((image) => image.sha256));
    expect(view.images.map((image) => image.deliveredAt)).toEqual([new Date(created + 3000).toISOString(), new Date(created + 5000).toISOString()]);
    expect(view.startedAt).toBe(new Date(created + 1000).toISOString());
    expect(view.metrics).toEqual({ queue_ms: 1000, run_ms: 4000, total_ms: 6500, runpod_delay_ms: 900, runpod_execution_ms: 4100 });
  });

  it("leaves the timings of moments that have not come yet null", async () => {
    const job = await createJob(await createApiKey("views_fresh"), textToImage("fresh", 1));
    expect(job).toMatchObject({ startedAt: null, completedAt: null, webhook: null });
    expect(job.metrics).toEqual({ queue_ms: null, run_ms: null, total_ms: null, runpod_delay_ms: null, runpod_execution_ms: null });
  });

  it("answers 404, documented, for an id longer than 64 characters", async () => {
    const key = await createApiKey("views_long_id");
    const long = "j".repeat(65);
    for (const [path, method] of [[`/api/jobs/${long}`, "GET"], [`/api/jobs/${long}/cancel`, "POST"], [`/api/jobs/${long}/events`, "GET"], [`/api/images/${long}`, "GET"]] as const) {
      const response = await api(path, { method, headers: bearer(key) });
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });
});

describe("GET /api/jobs, light", () => {
  it("lists images by id, index and dimensions, with display URLs only when include=urls asks", async () => {
    const key = await createApiKey("list_light");
    const { job } = await completedJob(key, "light");
    const [light] = (await list(key)).jobs;
    expect(light!.id).toBe(job.id);
    expect(light!.images).toHaveLength(2);
    for (const image of light!.images) {
      expect(Object.keys(image).sort()).toEqual(["height", "id", "index", "width"]);
    }
    const [withUrls] = (await list(key, "?include=urls")).jobs;
    for (const image of withUrls!.images) expect(image.url).toContain("X-Amz-Signature=");
    expect((await api("/api/jobs?include=everything", { headers: bearer(key) })).status).toBe(400);
  });

  it("filters by a created-at range", async () => {
    const key = await createApiKey("list_range");
    const jobs = [];
    for (let index = 0; index < 3; index++) jobs.push(await createJob(key, textToImage(`range ${index}`, 1)));
    const at = ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"].map(Date.parse);
    for (const [index, job] of jobs.entries()) await env.DB.prepare("UPDATE jobs SET created_at = ? WHERE id = ?").bind(at[index], job.id).run();
    const ids = async (query: string) => (await list(key, query)).jobs.map((job) => job.id);
    expect(await ids("?created_after=2026-01-02T00:00:00Z")).toEqual([jobs[2]!.id, jobs[1]!.id]);
    expect(await ids("?created_before=2026-01-02T00:00:00Z")).toEqual([jobs[0]!.id]);
    expect(await ids("?created_after=2026-01-01T12:00:00%2B01:00&created_before=2026-01-03T00:00:00Z")).toEqual([jobs[1]!.id]);
    const bad = await api("/api/jobs?created_after=yesterday", { headers: bearer(key) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { path: string }[] } }).error.details[0]!.path).toBe("created_after");
  });

  it("answers a page of 100 jobs with 8 images each in under 150 KB", async () => {
    const owner = "list_bytes";
    const key = await createApiKey(owner);
    const now = Date.now();
    const statements = [];
    for (let index = 0; index < 100; index++) {
      const id = newId("job");
      const params = { prompt: "a lighthouse at dusk, oil on canvas", negative_prompt: "", width: 1024, height: 1024, steps: 30, num_images: 8, seed: 3_000_000_000 + index };
      statements.push(
        env.DB.prepare(
          `INSERT INTO jobs (id, owner, api_key_id, type, status, progress, params, expected_images, created_at, updated_at, started_at, completed_at, deadline_at)
           VALUES (?, ?, NULL, 'text-to-image', 'completed', 100, ?, 8, ?, ?, ?, ?, ?)`,
        ).bind(id, owner, JSON.stringify(params), now + index, now + index + 9000, now + index + 800, now + index + 9000, now + 900_000),
      );
      for (let image = 0; image < 8; image++) {
        statements.push(
          env.DB.prepare(
            `INSERT INTO images (id, job_id, idx, key, size, content_type, width, height, sha256, source, delivered_at)
             VALUES (?, ?, ?, ?, ?, 'image/png', 1024, 1024, ?, 'handler', ?)`,
          ).bind(imageRowId(id, image), id, image, outputKey(owner, id, image, "image/png"), 1_450_000 + image, "ab".repeat(32), now + index + 2000 + image * 800),
        );
      }
    }
    await env.DB.batch(statements);
    const response = await api("/api/jobs?limit=100", { headers: bearer(key) });
    const bytes = (await response.arrayBuffer()).byteLength;
    expect(response.status).toBe(200);
    expect(bytes).toBeLessThan(150_000);
  });
});

describe("POST /api/jobs with Prefer: wait", () => {
  it("holds the answer until the job ends, then answers 200 with the finished job and Preference-Applied", async () => {
    const key = await createApiKey("prefer_wait");
    const answer = postJson("/api/jobs", textToImage("wait for me", 1), { ...bearer(key), prefer: "wait=30" });
    let jobId = "";
    await expect.poll(async () => (jobId = (await list(key)).jobs[0]?.id ?? "")).not.toBe("");
    await expect.poll(() => dispatchedRun(jobId).then(() => true, () => false)).toBe(true);
    const handler = new SimulatedHandler((await dispatchedRun(jobId)).body.input);
    const image = await handler.upload(0);
    await handler.send({ type: "image", job_id: jobId, image });
    await handler.send({ type: "completed", job_id: jobId, images: [image] });

    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.headers.get("preference-applied")).toBe("wait=30");
    expect(await response.json()).toMatchObject({ id: jobId, status: "completed", images: [{ index: 0, sha256: image.sha256 }] });
  });

  it("answers 202 with the job as it is when the wait runs out, and does not wait for respond-async", async () => {
    const key = await createApiKey("prefer_wait_out");
    const waited = await postJson("/api/jobs", textToImage("slow", 1), { ...bearer(key), prefer: "wait=1" });
    expect(waited.status).toBe(202);
    expect(waited.headers.get("preference-applied")).toBe("wait=1");
    expect(((await waited.json()) as Job).status).toBe("queued");
    const asynchronous = await postJson("/api/jobs", textToImage("async", 1), { ...bearer(key), prefer: "respond-async, wait=5" });
    expect(asynchronous.status).toBe(202);
    expect(asynchronous.headers.get("preference-applied")).toBeNull();
  });

  it("answers at once when the job ended at creation", async () => {
    const response = await postJson("/api/jobs", textToImage("[runpod:500]", 1), { ...bearer(await createApiKey("prefer_wait_failed")), prefer: "wait" });
    expect(response.status).toBe(200);
    expect(response.headers.get("preference-applied")).toBe("wait=60");
    expect(((await response.json()) as Job).status).toBe("failed");
  });
});

describe("GET /api/jobs/:id/events after the end", () => {
  it("answers a resume past the terminal event with 204, and one before it with the rest", async () => {
    const key = await createApiKey("events_resume_end");
    const job = await createJob(key, textToImage("cancel me", 1));
    expect((await api(`/api/jobs/${job.id}/cancel`, { method: "POST", headers: bearer(key) })).status).toBe(200);
    const whole = await (await api(`/api/jobs/${job.id}/events`, { headers: bearer(key) })).text();
    const terminalId = Number(whole.match(/id: (\d+)\nevent: canceled/)![1]);

    const past = await api(`/api/jobs/${job.id}/events`, { headers: { ...bearer(key), "last-event-id": String(terminalId) } });
    expect(past.status).toBe(204);
    expect(await past.text()).toBe("");
    const before = await api(`/api/jobs/${job.id}/events`, { headers: { ...bearer(key), "last-event-id": String(terminalId - 1) } });
    expect(before.status).toBe(200);
    expect(before.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(await before.text()).toMatch(new RegExp(`id: ${terminalId}\\nevent: canceled\\n[\\s\\S]*event: end\\n`));
  });
});
