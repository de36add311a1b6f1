import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { assemblerFor } from "../../workers/assembler/assembler-for.js";
import { createApiKey, createJob, getJob, textToImage } from "../helpers/api.js";
import { assemblerState, runAlarmAfter, swapDatabase, unavailableD1, workRow } from "../helpers/assembler.js";
import { SimulatedHandler } from "../helpers/handler.js";
import { dispatchedRun } from "../helpers/runpod.js";

describe("JobAssembler: nothing is lost when D1 fails for a while", () => {
  it("keeps verified images and the completion, and writes them when D1 is back", async () => {
    const key = await createApiKey("d1_outage");
    const job = await createJob(key, textToImage("d1 outage", 1));
    const handler = new SimulatedHandler((await dispatchedRun(job.id)).body.input);
    const stub = assemblerFor(env, job.id);
    const image = await handler.upload(0);

    await swapDatabase(stub, unavailableD1);
    // The image is durable in the JobAssembler: its answer does not wait for D1.
    expect(await (await handler.send({ type: "image", job_id: job.id, image })).json()).toMatchObject({ result: "applied", status: "running" });
    // A final status goes to D1 at once: that failing, the completion is kept and retried.
    const kept = await handler.send({ type: "completed", job_id: job.id, images: [image] });
    expect(kept.status).toBe(202);
    expect(await kept.json()).toMatchObject({ result: "kept", status: "completed", detail: expect.stringMatching(/D1/) });
    expect(await env.DB.prepare("SELECT status FROM jobs WHERE id = ?").bind(job.id).first("status")).toBe("queued");
    const inside = await assemblerState(stub);
    expect(inside.job?.status).toBe("completed");
    // The storage is cleared only once D1 holds the job.
    expect(inside.work.map((work) => work.name)).not.toContain("retention");

    await swapDatabase(stub, env.DB);
    expect(await runAlarmAfter(stub, 60_000)).toBe(true);
    expect(await env.DB.prepare("SELECT status FROM jobs WHERE id = ?").bind(job.id).first("status")).toBe("completed");
    expect(await getJob(key, job.id)).toMatchObject({ status: "completed", images: [{ key: image.key, size: image.size }] });
    expect(await workRow(stub, "settle")).toBeNull();
    expect(await workRow(stub, "retention")).not.toBeNull();
  });
});
