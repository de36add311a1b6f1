import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { D1_BACKSTOP_MS, D1Writes } from "../../workers/assembler/d1-sync.js";
import type { JobAssembler } from "../../workers/assembler/job-assembler.js";
import { Schedule } from "../../workers/assembler/schedule.js";
import { AssemblerState } from "../../workers/assembler/state.js";
import type { Wakeup } from "../../workers/assembler/wakeup.js";
import { api, bearer, getJob, textToImage } from "../helpers/api.js";
import { assemblerState, reloadFromStorage } from "../helpers/assembler.js";
import { startJobOf } from "../helpers/handler.js";
import { storeOutage } from "../helpers/store-outage.js";

type Parts = { state: AssemblerState; schedule: Schedule; d1: D1Writes; env: Env };
const partsOf = (instance: JobAssembler) => instance as unknown as Parts;

const startJob = (owner: string, images = 3) => startJobOf(owner, textToImage(`lean ${owner}`, images));

const d1ImageCount = (jobId: string) => env.DB.prepare("SELECT COUNT(*) AS n FROM images WHERE job_id = ?").bind(jobId).first<number>("n");

async function until(condition: () => Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Counts what the object asks of its SQLite and its alarm from here on (instrumentation, not a fault). */
async function countStorage(stub: DurableObjectStub<JobAssembler>) {
  return runInDurableObject(stub, (_, state) => {
    const counted = { statements: [] as string[], alarmWrites: 0 };
    const { sql } = state.storage;
    const exec = sql.exec.bind(sql);
    sql.exec = ((query: string, ...bindings: unknown[]) => {
      counted.statements.push(query.trim().split(/\s+/)[0]!.toUpperCase());
      return exec(query, ...bindings);
    }) as typeof sql.exec;
    const setAlarm = state.storage.setAlarm.bind(state.storage);
    state.storage.setAlarm = ((at: number | Date, options?: DurableObjectSetAlarmOptions) => {
      counted.alarmWrites++;
      return setAlarm(at, options);
    }) as typeof state.storage.setAlarm;
    const deleteAlarm = state.storage.deleteAlarm.bind(state.storage);
    state.storage.deleteAlarm = ((options?: DurableObjectSetAlarmOptions) => {
      counted.alarmWrites++;
      return deleteAlarm(options);
    }) as typeof state.storage.deleteAlarm;
    return counted;
  });
}

/** What the object holds in memory, and what SQLite holds (what a restarted object would read). */
async function memoryAndStorage(stub: DurableObjectStub<JobAssembler>) {
  return runInDurableObject(stub, (instance, state) => {
    const fromStorage = new AssemblerState(state.storage.sql);
    fromStorage.load();
    const schedule = new Schedule(state.storage.sql);
    schedule.load();
    const view = (parts: { state: AssemblerState; schedule: Schedule }) => ({
      job: parts.state.job(),
      images: parts.state.images(),
      completion: parts.state.completion(),
      lastEvent: parts.state.lastEventSeq(),
      outbox: parts.state.nextClientWebhook(),
      work: parts.schedule.all(),
    });
    return { memory: view(partsOf(instance)), storage: view({ state: fromStorage, schedule }) };
  });
}


describe("one pass per delivery", () => {
  it("an image on a running job is one transaction of three writes: nothing read back, D1 and the alarm left for later", async () => {
    const { key, job, handler, stub } = await startJob("lean_one_pass");
    await handler.send({ type: "image", job_id: job.id, image: await handler.upload(0) });
    // D1 caught up (the view asks for it), so the next delivery is the steady state.
    await getJob(key, job.id);
    const image = await handler.upload(1);
    const counted = await countStorage(stub);
    expect((await handler.send({ type: "image", job_id: job.id, image })).status).toBe(200);
    expect(counted.statements).toEqual(["INSERT", "INSERT", "INSERT"]);
    // D1's next batch is on the in-memory wake-up; the alarm's backstop was set by the first image.
    expect(counted.alarmWrites).toBe(0);
  });

  it("a redelivery changes nothing and writes nothing, not even the alarm", async () => {
    const { key, job, handler, stub } = await startJob("lean_redelivery");
    const body = { type: "image", job_id: job.id, image: await handler.upload(0) };
    await handler.send(body, { webhookId: "msg_once" });
    await getJob(key, job.id);
    const counted = await countStorage(stub);
    expect(await (await handler.send(body, { webhookId: "msg_once" })).json()).toMatchObject({ result: "duplicate" });
    expect(await (await handler.send(body, { webhookId: "msg_again" })).json()).toMatchObject({ result: "duplicate" });
    expect(counted.statements).toEqual(["INSERT"]);
    expect(counted.alarmWrites).toBe(0);
  });
});

describe("the state in memory", () => {
  it("stays what SQLite holds through applied, refused, kept and duplicate deliveries", async () => {
    const { job, handler, stub } = await startJob("lean_memory");
    const prefix = `jobs/lean_memory/${job.id}/`;
    const images = [await handler.upload(0), await handler.upload(1), await handler.upload(2)];
    await handler.send({ type: "progress", job_id: job.id, progress: 20 });
    await handler.send({ type: "image", job_id: job.id, image: images[0] });
    expect((await handler.send({ type: "image", job_id: job.id, image: { ...images[1]!, index: 0 } })).status).toBe(409);
    await storeOutage(prefix, true);
    expect((await handler.send({ type: "image", job_id: job.id, image: images[1] })).status).toBe(202);
    await storeOutage(prefix, false);
    await handler.send({ type: "completed", job_id: job.id, images });
    await handler.send({ type: "image", job_id: job.id, image: images[2] });
    const { memory, storage } = await memoryAndStorage(stub);
    expect(memory).toEqual(storage);
    expect(memory.job?.status).toBe("completed");
    expect(memory.images.map((image) => [image.idx, image.state])).toEqual([[0, "verified"], [1, "verified"], [2, "verified"]]);
  });

  it("is read back from SQLite when a transaction throws half-way: the delivery changes nothing", async () => {
    const { job, handler, stub } = await startJob("lean_rollback", 1);
    const image = await handler.upload(0);
    await runInDurableObject(stub, (instance) => {
      // Fault injection: the event log refuses its row after the image row was written in the same transaction.
      partsOf(instance).state.appendEvent = () => {
        throw new Error("event log unavailable");
      };
    });
    expect((await handler.send({ type: "image", job_id: job.id, image })).status).toBe(500);
    const { memory, storage } = await memoryAndStorage(stub);
    expect(memory).toEqual(storage);
    expect(memory.images).toEqual([]);
    expect(memory.job?.status).toBe("queued");
  });

  it("is loaded again by an object that wakes up, which writes D1 once more", async () => {
    const { key, job, handler, stub } = await startJob("lean_wake", 1);
    const image = await handler.upload(0);
    await handler.send({ type: "image", job_id: job.id, image }, { webhookId: "msg_before_wake" });
    await runInDurableObject(stub, (instance) => reloadFromStorage(instance));
    expect(await (await handler.send({ type: "image", job_id: job.id, image }, { webhookId: "msg_before_wake" })).json()).toMatchObject({ result: "duplicate" });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM images WHERE job_id = ?").bind(job.id).first("n")).toBe(1);
    expect((await getJob(key, job.id)).status).toBe("running");
  });
});

describe("D1 written in batches", () => {
  it("gets the images of a moment in one statement, and a job view shows them at once", async () => {
    const { key, job, handler, stub } = await startJob("lean_batches");
    const batches: string[][] = [];
    await runInDurableObject(stub, (instance) => {
      const parts = partsOf(instance);
      // As if D1 were written a minute after a change (D1_WRITE_DELAY_MS is a second): only the view's request writes it here.
      parts.d1 = new D1Writes(parts.state, false, 60_000);
      const counting = new Proxy(env.DB, {
        get(target, property) {
          if (property === "batch") {
            return (statements: D1PreparedStatement[]) => {
              batches.push(statements.map((statement) => (statement as unknown as { statement: string }).statement.split(" ")[0]!));
              return target.batch(statements);
            };
          }
          return Reflect.get(target, property);
        },
      });
      parts.env = { ...env, DB: counting };
    });
    const images = [await handler.upload(0), await handler.upload(1), await handler.upload(2)];
    for (const image of images) expect(await (await handler.send({ type: "image", job_id: job.id, image })).json()).toMatchObject({ result: "applied" });
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM images WHERE job_id = ?").bind(job.id).first("n")).toBe(0);
    expect(batches).toEqual([]);

    expect((await getJob(key, job.id)).images.map((image) => image.index)).toEqual([0, 1, 2]);
    expect(batches).toEqual([["INSERT", "UPDATE"]]);
    const listed = (await (await api("/api/jobs", { headers: bearer(key) })).json()) as { jobs: { id: string; images: unknown[] }[] };
    expect(listed.jobs.find((listedJob) => listedJob.id === job.id)?.images).toHaveLength(3);
  });

  it("writes a moment's images on the in-memory wake-up, with the alarm set once, as a backstop, for the whole run", async () => {
    const { job, handler, stub } = await startJob("lean_wakeup", 4);
    const images = [await handler.upload(0), await handler.upload(1), await handler.upload(2), await handler.upload(3)];
    const sentAt = Date.now();
    await handler.send({ type: "image", job_id: job.id, image: images[0] });
    const { alarm } = await assemblerState(stub);
    expect(alarm).toBeGreaterThanOrEqual(sentAt + D1_BACKSTOP_MS);
    const counted = await countStorage(stub);
    await handler.send({ type: "image", job_id: job.id, image: images[1] });
    await until(async () => (await d1ImageCount(job.id)) === 2);
    for (const image of images.slice(2)) await handler.send({ type: "image", job_id: job.id, image });
    await until(async () => (await d1ImageCount(job.id)) === 4);
    expect(counted.alarmWrites).toBe(0);
    expect((await assemblerState(stub)).alarm).toBe(alarm);
  });

  it("writes D1 on the backstop alarm when the wake-up is lost (the object restarted)", async () => {
    const { job, handler, stub } = await startJob("lean_backstop", 2);
    await runInDurableObject(stub, (instance) => {
      const parts = partsOf(instance);
      // As if D1 were written a minute after a change, and the object restarted before then: no timer fires in this test.
      parts.d1 = new D1Writes(parts.state, false, 60_000);
      (instance as unknown as { d1Wakeup: Wakeup }).d1Wakeup.setTo = () => {};
    });
    await handler.send({ type: "image", job_id: job.id, image: await handler.upload(0) });
    expect(await d1ImageCount(job.id)).toBe(0);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await d1ImageCount(job.id)).toBe(1);
  });

  it("writes a final status at once, with its images, before the job's last event", async () => {
    const { key, job, handler, stub } = await startJob("lean_final", 2);
    await runInDurableObject(stub, (instance) => {
      const parts = partsOf(instance);
      parts.d1 = new D1Writes(parts.state, false, 60_000);
    });
    const images = [await handler.upload(0), await handler.upload(1)];
    await handler.send({ type: "image", job_id: job.id, image: images[0] });
    await handler.send({ type: "completed", job_id: job.id, images });
    const row = await env.DB.prepare("SELECT status, (SELECT COUNT(*) FROM images WHERE job_id = ?1) AS images FROM jobs WHERE id = ?1").bind(job.id).first();
    expect(row).toEqual({ status: "completed", images: 2 });
    const events = await (await api(`/api/jobs/${job.id}/events`, { headers: bearer(key) })).text();
    expect([...events.matchAll(/^event: (\w+)$/gm)].map((match) => match[1])).toEqual(["image", "image", "completed", "end"]);
  });
});
