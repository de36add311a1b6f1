import { env } from "cloudflare:workers";
import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/index.js";
import { assemblerFor } from "../../workers/assembler/assembler-for.js";
import { SWEEP_GRACE_MS } from "../../workers/jobs/sweep-overdue.js";
import { createApiKey, createJob, getJob, textToImage } from "../helpers/api.js";
import { assemblerState, swapDatabase, unavailableD1 } from "../helpers/assembler.js";
import { SimulatedHandler } from "../helpers/handler.js";
import { dispatchedRun } from "../helpers/runpod.js";

async function runCron() {
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: "*/5 * * * *" }), env);
}

const overdue = () => Date.now() - SWEEP_GRACE_MS - 1_000;

describe("the Cron Trigger's sweep", () => {
  it("settles a job D1 shows queued past its deadline whose JobAssembler never opened", async () => {
    const key = await createApiKey("sweep_orphan");
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO jobs (id, owner, type, status, progress, params, expected_images, created_at, updated_at, deadline_at)
       VALUES (?, 'sweep_orphan', 'text-to-image', 'queued', 0, '{}', 1, ?, ?, ?)`,
    ).bind("job_sweep_orphan", now, now, overdue()).run();
    await runCron();
    expect(await getJob(key, "job_sweep_orphan")).toMatchObject({ status: "timed_out", error: expect.stringMatching(/never|JobAssembler opened/) });
    expect((await assemblerState(assemblerFor(env, "job_sweep_orphan"))).job?.status).toBe("timed_out");
  });

  it("writes D1 again for a job the JobAssembler completed while D1 was failing", async () => {
    const key = await createApiKey("sweep_d1_lag");
    const job = await createJob(key, textToImage("d1 lag", 1));
    const handler = new SimulatedHandler((await dispatchedRun(job.id)).body.input);
    const stub = assemblerFor(env, job.id);
    const image = await handler.upload(0);
    await swapDatabase(stub, unavailableD1);
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    await swapDatabase(stub, env.DB);
    expect(await env.DB.prepare("SELECT status FROM jobs WHERE id = ?").bind(job.id).first("status")).toBe("queued");
    await env.DB.prepare("UPDATE jobs SET deadline_at = ? WHERE id = ?").bind(overdue(), job.id).run();
    await runCron();
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ index: 0, key: image.key }] });
  });

  it("leaves jobs inside their deadline alone", async () => {
    const key = await createApiKey("sweep_in_time");
    const job = await createJob(key, textToImage("in time", 1));
    await runCron();
    expect((await getJob(key, job.id)).status).toBe("queued");
  });
});
