import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { HandlerInput, type Job } from "../../schema/contract/index.js";
import { assemblerFor } from "../../workers/assembler/assembler-for.js";
import { api, apiWith, bearer, createApiKey, createJob, getJob, postJson, textToImage } from "../helpers/api.js";
import { DISPATCH_CONFIRM_MS } from "../../workers/assembler/dispatch.js";
import { assemblerState, reloadFromStorage, runAlarmAfter, workRow } from "../helpers/assembler.js";
import { SimulatedHandler } from "../helpers/handler.js";
import { dispatchedRun } from "../helpers/runpod.js";


describe("POST /api/jobs", () => {
  it("records the job queued, dispatches contract-v1 input to RunPod and answers 202", async () => {
    const key = await createApiKey("jobs_create");
    const response = await postJson("/api/jobs", textToImage("a red fox", 2), bearer(key));
    expect(response.status).toBe(202);
    const job = (await response.json()) as { id: string; status: string; type: string; images: unknown[] };
    expect(job).toMatchObject({ type: "text-to-image", status: "queued", images: [] });

    const run = await dispatchedRun(job.id);
    expect(run.endpoint).toBe("easel-text-to-image");
    expect(run.body.webhook).toMatch(new RegExp(`^https://easel.test/api/webhooks/runpod/${job.id}\\?token=`));
    const input = HandlerInput.parse(run.body.input);
    expect(input).toMatchObject({ contract: 1, job_id: job.id, type: "text-to-image", params: { prompt: "a red fox", num_images: 2, seed: 7 } });
    expect(input.outputs.map((output) => output.key)).toEqual([
      `jobs/jobs_create/${job.id}/0.png`,
      `jobs/jobs_create/${job.id}/1.png`,
    ]);
    for (const output of input.outputs) {
      expect(output.upload_url).toContain("X-Amz-Signature=");
      expect(output.headers["content-type"]).toBe("image/png");
    }
    expect(input.callback.url).toBe(`https://easel.test/api/webhooks/generation/${job.id}`);
    const legacyToken = new URL(input.callback.legacy_url!).searchParams.get("token");
    expect(legacyToken).toMatch(/^[\w-]{43}$/);
    expect(new URL(run.body.webhook).searchParams.get("token")).not.toBe(legacyToken);
    expect(input.callback.secret).toMatch(/^whsec_/);
    expect((await getJob(key, job.id)).status).toBe("queued");
  });

  it("fills a random seed when none is given, and keeps it on the job", async () => {
    const key = await createApiKey("jobs_seed");
    const job = await createJob(key, { type: "text-to-image", input: { prompt: "no seed" } });
    const seed = (await dispatchedRun(job.id)).body.input.params.seed;
    expect(Number.isInteger(seed)).toBe(true);
    expect(job.input.seed).toBe(seed);
  });

  it("names every failing field and records nothing", async () => {
    const key = await createApiKey("jobs_invalid");
    const response = await postJson("/api/jobs", { type: "text-to-image", input: { prompt: "", width: 100, steps: "many" } }, bearer(key));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.map((issue) => issue.path)).toEqual(expect.arrayContaining(["input.prompt", "input.width", "input.steps"]));
    const list = (await (await api("/api/jobs", { headers: bearer(key) })).json()) as { jobs: unknown[] };
    expect(list.jobs).toHaveLength(0);
  });

  it.each([
    ["an unknown type", { type: "upscale", input: {} }, "type"],
    ["an unknown field", { type: "text-to-image", input: { prompt: "x", colour: "red" } }, "input"],
    ["too many images", { type: "text-to-image", input: { prompt: "x", num_images: 9 } }, "input.num_images"],
  ])("rejects %s", async (_, body, path) => {
    const key = await createApiKey("jobs_invalid_more");
    const response = await postJson("/api/jobs", body, bearer(key));
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { details: { path: string }[] } };
    expect(error.details.map((issue) => issue.path)).toContain(path);
  });

  it("answers malformed JSON with 400, a non-JSON body with 415 and an oversized body with 413", async () => {
    const key = await createApiKey("jobs_bodies");
    const malformed = await api("/api/jobs", { method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: "{\"type\":" });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).toBe("bad_request");
    const text = await api("/api/jobs", { method: "POST", headers: { ...bearer(key), "content-type": "text/plain" }, body: "hello" });
    expect(text.status).toBe(415);
    const huge = await postJson("/api/jobs", { type: "text-to-image", input: { prompt: "x".repeat(70_000) } }, bearer(key));
    expect(huge.status).toBe(413);
    const list = (await (await api("/api/jobs", { headers: bearer(key) })).json()) as { jobs: unknown[] };
    expect(list.jobs).toHaveLength(0);
  });

  it("answers 429 with Retry-After and RateLimit past the per-key creation limit, and records nothing more", async () => {
    const key = await createApiKey("jobs_rate_limited");
    for (let index = 0; index < 10; index++) await createJob(key, textToImage(`burst ${index}`, 1));
    const refused = await postJson("/api/jobs", textToImage("one too many", 1), bearer(key));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(refused.headers.get("ratelimit")).toBe('"jobs";r=0;t=60');
    expect(refused.headers.get("ratelimit-policy")).toBe('"jobs";q=10;w=60');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    const list = (await (await api("/api/jobs?limit=100", { headers: bearer(key) })).json()) as { jobs: unknown[] };
    expect(list.jobs).toHaveLength(10);
    expect((await postJson("/api/jobs", textToImage("another key", 1), bearer(await createApiKey("jobs_rate_other")))).status).toBe(202);
  });

  it("announces the policy on a created job", async () => {
    const created = await postJson("/api/jobs", textToImage("policy", 1), bearer(await createApiKey("jobs_rate_policy")));
    expect(created.status).toBe(202);
    expect(created.headers.get("ratelimit-policy")).toBe('"jobs";q=10;w=60');
  });

  it("counts neither refused requests nor idempotent replays against the creation limit", async () => {
    const key = await createApiKey("jobs_rate_fair");
    for (let index = 0; index < 12; index++) {
      expect((await postJson("/api/jobs", { type: "text-to-image", input: { prompt: "" } }, bearer(key))).status).toBe(400);
    }
    const first = await createJob(key, textToImage("kept once", 1), { "idempotency-key": "retry-me" });
    for (let index = 0; index < 12; index++) {
      const replay = await postJson("/api/jobs", textToImage("kept once", 1), { ...bearer(key), "idempotency-key": "retry-me" });
      expect(replay.status).toBe(202);
      expect(((await replay.json()) as { id: string }).id).toBe(first.id);
    }
    for (let index = 1; index < 10; index++) await createJob(key, textToImage(`fresh ${index}`, 1));
    expect((await postJson("/api/jobs", textToImage("the eleventh", 1), bearer(key))).status).toBe(429);
  });

  it("refuses requests without a valid API key", async () => {
    expect((await postJson("/api/jobs", textToImage())).status).toBe(401);
    expect((await postJson("/api/jobs", textToImage(), bearer("easel_sk_forged"))).status).toBe(401);
    const body = (await (await api("/api/jobs", { headers: bearer("nope") })).json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("unauthorized");
  });

  it("replays an Idempotency-Key with the same job and refuses it for a different request", async () => {
    const key = await createApiKey("jobs_idempotent");
    const first = await createJob(key, textToImage("same"), { "idempotency-key": "order-1" });
    const again = await postJson("/api/jobs", textToImage("same"), { ...bearer(key), "idempotency-key": "order-1" });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(((await again.json()) as { id: string }).id).toBe(first.id);
    const other = await postJson("/api/jobs", textToImage("different"), { ...bearer(key), "idempotency-key": "order-1" });
    expect(other.status).toBe(409);
    const otherOwner = await createJob(await createApiKey("jobs_idempotent_2"), textToImage("same"), { "idempotency-key": "order-1" });
    expect(otherOwner.id).not.toBe(first.id);
  });

  it("replays an Idempotency-Key with the job as it is now, images included", async () => {
    const key = await createApiKey("jobs_idempotent_now");
    const job = await createJob(key, textToImage("now", 1), { "idempotency-key": "order-now" });
    const handler = new SimulatedHandler((await dispatchedRun(job.id)).body.input);
    const image = await handler.upload(0);
    await handler.send({ type: "image", job_id: job.id, image });
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    const replayed = (await createJob(key, textToImage("now", 1), { "idempotency-key": "order-now" })) as Job;
    expect(replayed).toMatchObject({ id: job.id, status: "completed", images: [{ index: 0, key: image.key }] });
  });

  it("ends the job failed, not queued forever, when its JobAssembler cannot be opened", async () => {
    const key = await createApiKey("jobs_open_fails");
    const broken = {
      idFromName: (name: string) => env.JOB_ASSEMBLER.idFromName(name),
      get: () => ({ open: () => Promise.reject(new Error("Durable Object reset because its code was updated")) }),
    } as unknown as Env["JOB_ASSEMBLER"];
    const response = await apiWith({ JOB_ASSEMBLER: broken }, "/api/jobs", {
      method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: JSON.stringify(textToImage("no assembler", 1)),
    });
    const list = (await (await api("/api/jobs", { headers: bearer(key) })).json()) as { jobs: Job[] };
    expect(list.jobs).toHaveLength(1);
    expect(list.jobs[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/could not open the job/) });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ id: list.jobs[0]!.id, status: "failed" });
    const events = await api(`/api/jobs/${list.jobs[0]!.id}/events`, { headers: bearer(key) });
    expect(await events.text()).toBe('event: end\ndata: {"status":"failed"}\n\n');
  });

  it("ends the job failed with the reason when preparing the dispatch throws unexpectedly", async () => {
    const key = await createApiKey("jobs_dispatch_throws");
    // Presigned URLs cannot outlive a week: a week-long timeout (plus the URLs' margin) makes presigning the outputs throw.
    const response = await apiWith({ JOB_TIMEOUT_SECONDS: String(7 * 24 * 3600) }, "/api/jobs", {
      method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: JSON.stringify(textToImage("presign throws", 1)),
    });
    expect(response.status).toBe(202);
    const job = (await response.json()) as Job;
    expect(job).toMatchObject({ status: "failed", error: expect.stringMatching(/^dispatch failed: .*presigned URLs live/) });
    expect((await getJob(key, job.id)).status).toBe("failed");
    await expect(dispatchedRun(job.id)).rejects.toThrow(/no RunPod run/);
  });

  it("leaves the job failed with the reason when RunPod refuses the run", async () => {
    const key = await createApiKey("jobs_dispatch_fail");
    const failed = await createJob(key, textToImage("[runpod:500]"));
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/dispatch failed: RunPod answered 500/);
  });

  it("keeps a job whose /run timed out waiting for a sign of the run, and fails it when none comes in time", async () => {
    const key = await createApiKey("jobs_dispatch_hang");
    const hung = await createJob(key, textToImage("[runpod:hang]"));
    expect(hung).toMatchObject({ status: "queued", error: null });
    const stub = assemblerFor(env, hung.id);
    expect(await workRow(stub, "dispatch_unknown")).not.toBeNull();
    await runAlarmAfter(stub, DISPATCH_CONFIRM_MS + 1);
    expect(await getJob(key, hung.id)).toMatchObject({ status: "failed", error: expect.stringMatching(/RunPod did not confirm the run within 5 minutes/) });
  });

  it("requires the style and content images to be the caller's own uploads", async () => {
    const key = await createApiKey("jobs_style");
    const input = { prompt: "", style_image: "uploads/jobs_style/missing.png", content_image: "uploads/someone_else/a.png" };
    const response = await postJson("/api/jobs", { type: "style-transfer", input }, bearer(key));
    expect(response.status).toBe(422);
    const outside = await postJson(
      "/api/jobs",
      { type: "style-transfer", input: { ...input, style_image: "uploads/someone_else/a.png" } },
      bearer(key),
    );
    expect(((await outside.json()) as { error: { message: string } }).error.message).toMatch(/not one of your uploads/);
  });
});

describe("GET /api/jobs/:id and GET /api/jobs", () => {
  it("hides another owner's job behind 404", async () => {
    const job = await createJob(await createApiKey("owner_a"), textToImage());
    const intruder = await createApiKey("owner_b");
    expect((await api(`/api/jobs/${job.id}`, { headers: bearer(intruder) })).status).toBe(404);
    expect((await api(`/api/jobs/${job.id}/cancel`, { method: "POST", headers: bearer(intruder) })).status).toBe(404);
    expect((await api(`/api/jobs/${job.id}/events`, { headers: bearer(intruder) })).status).toBe(404);
    expect((await api(`/api/jobs/${job.id}/events`)).status).toBe(401);
  });

  it("lists newest first with a cursor, filtered by status and type", async () => {
    const key = await createApiKey("jobs_list");
    const created = [];
    for (let index = 0; index < 5; index++) created.push(await createJob(key, textToImage(index === 2 ? "[runpod:500]" : `job ${index}`, 1)));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : "?limit=2";
      const page = (await (await api(`/api/jobs${query}`, { headers: bearer(key) })).json()) as { jobs: { id: string }[]; nextCursor: string | null };
      expect(page.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...page.jobs.map((job) => job.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(created.map((job) => job.id).reverse());

    const failed = (await (await api("/api/jobs?status=failed", { headers: bearer(key) })).json()) as { jobs: { id: string }[] };
    expect(failed.jobs.map((job) => job.id)).toEqual([created[2]!.id]);
    const styles = (await (await api("/api/jobs?type=style-transfer", { headers: bearer(key) })).json()) as { jobs: unknown[] };
    expect(styles.jobs).toHaveLength(0);
    expect((await api("/api/jobs?status=done", { headers: bearer(key) })).status).toBe(400);
    expect((await api("/api/jobs?cursor=garbage", { headers: bearer(key) })).status).toBe(400);
  });
});

describe("POST /api/jobs/:id/cancel", () => {
  it("cancels at RunPod and ends the job canceled; a second cancel is a conflict", async () => {
    const key = await createApiKey("jobs_cancel");
    const job = await createJob(key, textToImage());
    const response = await api(`/api/jobs/${job.id}/cancel`, { method: "POST", headers: bearer(key) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe("canceled");
    expect((await dispatchedRun(job.id)).canceled).toBe(true);
    expect((await api(`/api/jobs/${job.id}/cancel`, { method: "POST", headers: bearer(key) })).status).toBe(409);
  });

  it("answers 409, not 200 with another status, when the job ended in its JobAssembler before D1 caught up", async () => {
    const key = await createApiKey("jobs_cancel_race");
    const job = await createJob(key, textToImage("race", 1));
    await runInDurableObject(assemblerFor(env, job.id), (instance, state) => {
      state.storage.sql.exec("UPDATE job SET status = 'completed', progress = 100, completed_at = ?", Date.now());
      reloadFromStorage(instance);
    });
    const response = await api(`/api/jobs/${job.id}/cancel`, { method: "POST", headers: bearer(key) });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/already completed/);
    expect((await assemblerState(assemblerFor(env, job.id))).job?.status).toBe("completed");
  });

  it("cancels at RunPod with the JobAssembler's RunPod id even when D1 does not have it yet", async () => {
    const key = await createApiKey("jobs_cancel_unsynced");
    const job = await createJob(key, textToImage("unsynced", 1));
    await env.DB.prepare("UPDATE jobs SET runpod_job_id = NULL WHERE id = ?").bind(job.id).run();
    const response = await api(`/api/jobs/${job.id}/cancel`, { method: "POST", headers: bearer(key) });
    expect(response.status).toBe(200);
    expect((await dispatchedRun(job.id)).canceled).toBe(true);
  });

  it("cancels at RunPod a run that RunPod accepted after the job was canceled", async () => {
    const key = await createApiKey("jobs_cancel_in_flight");
    const other = await createJob(key, textToImage("a run to hand over", 1));
    const run = await dispatchedRun(other.id);
    const stub = assemblerFor(env, "job_cancel_in_flight");
    await stub.open({ id: "job_cancel_in_flight", owner: "jobs_cancel_in_flight", type: "text-to-image", prefix: "jobs/jobs_cancel_in_flight/job_cancel_in_flight/", expected: 1, deadlineAt: Date.now() + 60_000 });
    expect(await stub.cancel("canceled by the client")).toMatchObject({ result: "canceled" });
    await stub.dispatched(run.runpodId);
    expect((await assemblerState(stub)).job?.status).toBe("canceled");
    expect((await dispatchedRun(other.id)).canceled).toBe(true);
  });
});
