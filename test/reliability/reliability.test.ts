import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  CreateJobRequest,
  CreateUploadRequest,
  LegacyImageMessage,
  LegacyStatusMessage,
  RunpodWebhook,
  SaveImageRequest,
  WebhookEvent,
  type Job,
} from "../../schema/contract/index.js";
import { DISPATCH_CONFIRM_MS } from "../../workers/assembler/dispatch.js";
import type { JobAssembler } from "../../workers/assembler/job-assembler.js";
import { deriveJobWebhookSecret, signWebhook } from "../../workers/services/webhook-signing.js";
import { api, bearer, createApiKey, getJob, textToImage } from "../helpers/api.js";
import { assemblerState, passTime, runAlarmAfter, runAlarmPastDeadline, swapDatabase, unavailableD1 } from "../helpers/assembler.js";
import { dispatchJob, SimulatedHandler } from "../helpers/handler.js";
import { dispatchedRun, setRunpodStatus } from "../helpers/runpod.js";
import { bodiesFor } from "./arbitraries.js";
import { storeOutage } from "../helpers/store-outage.js";

/** Every figure the suite measures; all but the counts of what was tried must end at 0. */
const figures = new Map<string, number>();
const count = (name: string, by = 1) => figures.set(name, (figures.get(name) ?? 0) + by);

afterAll(() => {
  const rows = [...figures].map(([name, value]) => `| ${name.padEnd(52)} | ${String(value).padStart(7)} |`);
  const rule = `|${"-".repeat(54)}|${"-".repeat(9)}|`;
  console.log(["", "Reliability figures", `| ${"figure".padEnd(52)} | ${"value".padStart(7)} |`, rule, ...rows, ""].join("\n"));
});


async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function shuffle<T>(items: T[]): T[] {
  for (let index = items.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [items[index], items[other]] = [items[other]!, items[index]!];
  }
  return items;
}

const startJob = (key: string, images: number, prompt = "reliability") => dispatchJob(key, textToImage(prompt, images));

const d1Images = async (jobId: string) =>
  (await env.DB.prepare("SELECT idx, key FROM images WHERE job_id = ? ORDER BY idx").bind(jobId).all<{ idx: number; key: string }>()).results;

async function sseEvents(key: string, jobId: string) {
  const text = await (await api(`/api/jobs/${jobId}/events`, { headers: bearer(key) })).text();
  return [...text.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((match) => ({ type: match[1]!, data: JSON.parse(match[2]!) as { index?: number } }));
}

/**
 * Everything a request could have written for one job: D1's row and images, the JobAssembler's
 * state. D1 is brought up to date with the JobAssembler first (it writes D1 a moment after its
 * answers), so an earlier request's batch never shows as a change made by a later one.
 */
async function fingerprint(stub: DurableObjectStub<JobAssembler>, jobId: string): Promise<string> {
  await stub.writeD1();
  const row = await env.DB.prepare("SELECT status, progress, error, runpod_job_id, completed_at, (SELECT COUNT(*) FROM images WHERE job_id = ?1) AS images FROM jobs WHERE id = ?1")
    .bind(jobId)
    .first();
  const inside = await runInDurableObject(stub, (_, state) => ({
    job: state.storage.sql.exec("SELECT status, progress, error, runpod_job_id FROM job").toArray(),
    images: state.storage.sql.exec("SELECT idx, key, state FROM images").toArray(),
    events: state.storage.sql.exec("SELECT COUNT(*) AS n FROM event_log").one().n,
    completion: state.storage.sql.exec("SELECT indices FROM completion").toArray(),
    seen: state.storage.sql.exec("SELECT COUNT(*) AS n FROM seen_webhooks").one().n,
  }));
  return JSON.stringify({ row, inside });
}

/** What D1, the JobAssembler and the bucket say about a job's images: they must agree. */
async function halfRecorded(key: string, job: Job, stub: DurableObjectStub<JobAssembler>): Promise<number> {
  const rows = await d1Images(job.id);
  const verified = (await assemblerState(stub)).images.filter((image) => image.state === "verified").map((image) => image.idx);
  let mismatches = JSON.stringify(rows.map((row) => row.idx)) === JSON.stringify(verified) ? 0 : 1;
  for (const image of (await getJob(key, job.id)).images) if (!(await fetch(image.url)).ok) mismatches++;
  return mismatches;
}

describe("reliability", () => {
  it("1,000 signed webhooks (images, their duplicates, progress, completions) reordered and concurrent over 50 jobs: 0 lost, 0 doubled", async () => {
    const key = await createApiKey("rel_storm");
    const jobs = await Promise.all(Array.from({ length: 50 }, (_, index) => startJob(key, 4, `storm ${index}`)));
    type Send = { handler: SimulatedHandler; body: unknown; webhookId: string };
    const sends: Send[] = [];
    await pool(jobs, 8, async ({ job, handler }) => {
      const images = [];
      for (let index = 0; index < 4; index++) images.push(await handler.upload(index));
      images.forEach((image, index) => {
        const body = { type: "image", job_id: job.id, image };
        sends.push({ handler, body, webhookId: `msg_${job.id}_image_${index}` });
        // Two exact redeliveries (same webhook-id) and two re-announcements under a new id.
        sends.push({ handler, body, webhookId: index < 2 ? `msg_${job.id}_image_${index}` : `msg_${job.id}_again_${index}` });
      });
      for (let step = 0; step < 11; step++) sends.push({ handler, body: { type: "progress", job_id: job.id, progress: step * 9 }, webhookId: `msg_${job.id}_progress_${step}` });
      sends.push({ handler, body: { type: "completed", job_id: job.id, images }, webhookId: `msg_${job.id}_completed` });
    });
    expect(sends).toHaveLength(1_000);
    count("storm: signed webhooks sent", sends.length);
    await pool(shuffle(sends), 16, async ({ handler, body, webhookId }) => {
      const response = await handler.send(body, { webhookId });
      if (response.status >= 500) count("storm: 5xx");
      else if (response.status >= 300) count("storm: refused (non-2xx)");
      await response.body?.cancel();
    });
    for (const { job } of jobs) {
      const rows = await d1Images(job.id);
      const indices = new Set(rows.map((row) => row.idx));
      count("storm: images lost", 4 - indices.size);
      count("storm: images doubled (D1 rows)", rows.length - indices.size);
      const imageEvents = (await sseEvents(key, job.id)).filter((event) => event.type === "image");
      count("storm: images doubled (live events)", imageEvents.length - new Set(imageEvents.map((event) => event.data.index)).size);
      if ((await getJob(key, job.id)).status !== "completed") count("storm: jobs not completed");
    }
    for (const name of ["storm: 5xx", "storm: refused (non-2xx)", "storm: images lost", "storm: images doubled (D1 rows)", "storm: images doubled (live events)", "storm: jobs not completed"]) {
      count(name, 0);
      expect(figures.get(name), name).toBe(0);
    }
  });

  it("the store down 60 s mid-job (simulated time): every image lands, or the job fails with a clear reason; nothing half-recorded", async () => {
    const key = await createApiKey("rel_outage");
    const recovers = await startJob(key, 3);
    const images = [];
    for (let index = 0; index < 3; index++) images.push(await recovers.handler.upload(index));
    await recovers.handler.send({ type: "image", job_id: recovers.job.id, image: images[0] });
    const prefix = `jobs/rel_outage/${recovers.job.id}/`;
    await storeOutage(prefix, true);
    for (const image of images.slice(1)) await recovers.handler.send({ type: "image", job_id: recovers.job.id, image });
    await recovers.handler.send({ type: "completed", job_id: recovers.job.id, images });
    for (let elapsed = 0; elapsed < 60_000; elapsed += 10_000) await runAlarmAfter(recovers.stub, 10_000);
    expect((await getJob(key, recovers.job.id)).status).toBe("running");
    await storeOutage(prefix, false);
    await runAlarmAfter(recovers.stub, 5 * 60_000);
    const recovered = await getJob(key, recovers.job.id);
    if (recovered.status !== "completed" || recovered.images.length !== 3) count("outage: images lost after the store came back", 3 - recovered.images.length);
    count("outage: half-recorded images", await halfRecorded(key, recovered, recovers.stub));

    const outlasts = await startJob(key, 2);
    const first = await outlasts.handler.upload(0);
    const second = await outlasts.handler.upload(1);
    await outlasts.handler.send({ type: "image", job_id: outlasts.job.id, image: first });
    const outlastsPrefix = `jobs/rel_outage/${outlasts.job.id}/`;
    await storeOutage(outlastsPrefix, true);
    await outlasts.handler.send({ type: "image", job_id: outlasts.job.id, image: second });
    await setRunpodStatus(outlasts.run.runpodId, { id: outlasts.run.runpodId, status: "IN_PROGRESS" });
    await runAlarmPastDeadline(outlasts.stub);
    await storeOutage(outlastsPrefix, false);
    await runAlarmAfter(outlasts.stub, 5 * 60_000);
    const ended = await getJob(key, outlasts.job.id);
    if (!["failed", "timed_out"].includes(ended.status) || !/not verified \(image 1: object store unavailable/.test(ended.error ?? "")) count("outage: jobs ended without a clear reason");
    const events = (await sseEvents(key, outlasts.job.id)).map((event) => event.type);
    if (events.slice(events.indexOf(ended.status) + 1).some((type) => type !== "end")) count("outage: events recorded after the final one");
    count("outage: half-recorded images", await halfRecorded(key, ended, outlasts.stub));
    for (const name of ["outage: images lost after the store came back", "outage: half-recorded images", "outage: jobs ended without a clear reason", "outage: events recorded after the final one"]) {
      count(name, 0);
      expect(figures.get(name), name).toBe(0);
    }
  });

  it("D1 failing after the JobAssembler committed is reconciled, and an alarm that throws is re-armed", async () => {
    const key = await createApiKey("rel_d1");
    const { job, handler, stub } = await startJob(key, 1);
    const image = await handler.upload(0);
    await swapDatabase(stub, unavailableD1);
    await handler.send({ type: "completed", job_id: job.id, images: [image] });
    await swapDatabase(stub, env.DB);
    await runAlarmAfter(stub, 60_000);
    const inside = await assemblerState(stub);
    const outside = await getJob(key, job.id);
    count("D1 left unreconciled", outside.status === inside.job!.status && outside.images.length === 1 ? 0 : 1);

    const throwing = await startJob(key, 1);
    await throwing.handler.send({ type: "image", job_id: throwing.job.id, image: await throwing.handler.upload(0) });
    await runInDurableObject(throwing.stub, (instance: JobAssembler) => {
      // Fault injection: reading the completion throws inside the settle task.
      const { state, schedule } = instance as unknown as { state: { completion: () => never }; schedule: { due(name: string, at: number): void } };
      state.completion = () => {
        throw new Error("completion unreadable");
      };
      schedule.due("settle", Date.now());
    });
    await runAlarmAfter(throwing.stub, 1_000);
    const alarm = await runInDurableObject(throwing.stub, (_, state) => state.storage.getAlarm());
    count("alarms not re-armed after a throw", alarm === null ? 1 : 0);
    expect(figures.get("D1 left unreconciled")).toBe(0);
    expect(figures.get("alarms not re-armed after a throw")).toBe(0);
  });

  it("forged, tampered, replayed, cross-job and unsigned webhooks: 401, 0 writes", async () => {
    const key = await createApiKey("rel_forged");
    const { job, handler, stub } = await startJob(key, 1);
    const { job: other } = await startJob(key, 1);
    const image = await handler.upload(0);
    const otherSecret = await deriveJobWebhookSecret(env.WEBHOOK_SIGNING_KEY, other.id);
    const post = (body: string, headers: Record<string, string>, path = handler.callbackPath) =>
      api(path, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
    const attempts: Array<() => Promise<Response>> = [];
    for (let n = 0; n < 10; n++) {
      const body = JSON.stringify({ type: n % 2 ? "failed" : "image", job_id: job.id, ...(n % 2 ? { error: "forged" } : { image }) });
      const secret = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
      attempts.push(() => post(body, signWebhook({ secret, webhookId: `msg_forged_${n}`, body })));
      const signed = signWebhook({ secret: handler.input.callback.secret, webhookId: `msg_tampered_${n}`, body });
      attempts.push(() => post(body.replace(job.id, `${job.id}`).replace("forged", "tampered").replace(`"index":0`, `"index":0 `), signed));
      attempts.push(() => post(body, signWebhook({ secret: handler.input.callback.secret, webhookId: `msg_replayed_${n}`, body, timestamp: new Date(Date.now() - 6 * 60_000) })));
      attempts.push(() => post(body, signWebhook({ secret: otherSecret, webhookId: `msg_cross_${n}`, body })));
      attempts.push(() => post(body, {}, n % 2 ? handler.legacyCallbackPath : handler.callbackPath));
    }
    const before = await fingerprint(stub, job.id);
    for (const attempt of attempts) {
      const response = await attempt();
      count("forged webhooks tried");
      if (response.status !== 401) count("forged webhooks not refused with 401");
      await response.body?.cancel();
    }
    count("unauthorised writes", before === (await fingerprint(stub, job.id)) ? 0 : 1);
    count("forged webhooks not refused with 401", 0);
    expect(figures.get("forged webhooks not refused with 401")).toBe(0);
    expect(figures.get("unauthorised writes")).toBe(0);
  });

  it("the dispatch timeout race: a run that shows up after its job gave up on it is canceled at RunPod", async () => {
    const key = await createApiKey("rel_race");
    for (let n = 0; n < 3; n++) {
      const { job, handler, stub } = await startJob(key, 1, `[runpod:slow] race ${n}`);
      await passTime(stub, DISPATCH_CONFIRM_MS + 1);
      await runAlarmAfter(stub, 0);
      const run = await dispatchedRun(job.id);
      const late = await handler.send({ type: "progress", job_id: job.id, runpod_job_id: run.runpodId, progress: 1 });
      await late.body?.cancel();
      count("dispatch races run", 1);
      if (!(await dispatchedRun(job.id)).canceled) count("late runs left running");
    }
    count("late runs left running", 0);
    expect(figures.get("late runs left running")).toBe(0);
  });

  it("10,000 bodies generated from the zod schemas and mutated, against every webhook and client route: 0 5xx, 0 writes on refusal", async () => {
    const key = await createApiKey("rel_fuzz");
    const targets = await Promise.all(Array.from({ length: 8 }, (_, index) => startJob(key, 2, `fuzz target ${index}`)));
    const routes = [
      { name: "signed webhook", bodies: bodiesFor(WebhookEvent) },
      { name: "legacy webhook", bodies: fc.oneof(bodiesFor(LegacyImageMessage), bodiesFor(LegacyStatusMessage)) },
      { name: "RunPod webhook", bodies: bodiesFor(RunpodWebhook) },
      { name: "create job", bodies: bodiesFor(CreateJobRequest) },
      { name: "save image", bodies: bodiesFor(SaveImageRequest) },
      { name: "upload", bodies: bodiesFor(CreateUploadRequest) },
    ] as const;
    const cases = fc.sample(fc.tuple(fc.nat({ max: routes.length - 1 }), fc.nat({ max: targets.length - 1 }), fc.nat({ max: 9 })), 10_000);
    const generated = routes.map((route) => fc.sample(route.bodies, cases.length));
    const jobsOf = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM jobs WHERE owner = 'rel_fuzz'").first<{ n: number }>())!.n;
    const state = new Map<string, string>();
    for (const target of targets) state.set(target.job.id, await fingerprint(target.stub, target.job.id));
    let jobCount = await jobsOf();
    for (const [caseIndex, [routeIndex, targetIndex, coin]] of cases.entries()) {
      const route = routes[routeIndex]!;
      const target = targets[targetIndex]!;
      let body = generated[routeIndex]![caseIndex] as Record<string, unknown> | unknown;
      // Most bodies name the target job, so they reach the JobAssembler instead of stopping at job_id.
      if (coin < 8 && body && typeof body === "object" && !Array.isArray(body)) {
        body = { ...(body as Record<string, unknown>), ...("job_id" in body ? { job_id: target.job.id } : {}), ...("jobId" in body ? { jobId: target.job.id } : {}) };
      }
      const text = coin === 9 ? `${JSON.stringify(body)}}` : JSON.stringify(body) ?? "null";
      let response: Response;
      if (route.name === "signed webhook") {
        const headers = signWebhook({ secret: target.handler.input.callback.secret, webhookId: `msg_fuzz_${caseIndex}`, body: text });
        response = await api(target.handler.callbackPath, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: text });
      } else if (route.name === "legacy webhook") {
        response = await api(target.handler.legacyCallbackPath, { method: "POST", headers: { "content-type": "application/json" }, body: text });
      } else if (route.name === "RunPod webhook") {
        const webhook = new URL(target.run.body.webhook);
        response = await api(`${webhook.pathname}${webhook.search}`, { method: "POST", headers: { "content-type": "application/json" }, body: text });
      } else {
        const path = { "create job": "/api/jobs", "save image": "/api/images/save", upload: "/api/uploads" }[route.name];
        response = await api(path, { method: "POST", headers: { ...bearer(key), "content-type": "application/json" }, body: text });
      }
      await response.body?.cancel();
      count("fuzz: requests");
      if (response.status >= 500) count(`fuzz: 5xx (${route.name})`);
      const refused = response.status >= 400;
      if (refused) count("fuzz: refused");
      const now = await fingerprint(target.stub, target.job.id);
      if (refused && now !== state.get(target.job.id)) count(`fuzz: writes by a refused request (${route.name})`);
      state.set(target.job.id, now);
      const jobsNow = route.name === "create job" ? await jobsOf() : jobCount;
      if (refused && jobsNow !== jobCount) count("fuzz: writes by a refused request (create job)");
      jobCount = jobsNow;
    }
    const problems = [...figures].filter(([name, value]) => name.startsWith("fuzz: ") && (name.includes("5xx") || name.includes("writes")) && value > 0);
    count("fuzz: 5xx", 0);
    count("fuzz: writes by refused requests", 0);
    expect(problems).toEqual([]);
  });
});
