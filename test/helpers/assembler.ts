import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import type { JobAssembler } from "../../workers/assembler/job-assembler.js";
import { Schedule, type WorkName } from "../../workers/assembler/schedule.js";
import { AssemblerState, type ClientWebhookRow } from "../../workers/assembler/state.js";

/**
 * After a test wrote the object's SQLite directly (staging a state no request can reach), the
 * object reads it again: it keeps its state in memory and never reads SQLite back on its own.
 */
export function reloadFromStorage(instance: JobAssembler) {
  (instance as unknown as { load(): void }).load();
}

/** What a JobAssembler holds, read from inside it: the test-only view of its SQLite state (what survives a restart). */
export async function assemblerState(stub: DurableObjectStub<JobAssembler>) {
  return runInDurableObject(stub, async (_, state) => {
    const assembler = new AssemblerState(state.storage.sql);
    const schedule = new Schedule(state.storage.sql);
    assembler.load();
    schedule.load();
    return {
      job: assembler.job(),
      images: assembler.images(),
      completion: assembler.completion(),
      events: assembler.eventsAfter(0).map((event) => ({ type: event.type, data: JSON.parse(event.data) as Record<string, unknown> })),
      work: schedule.all(),
      alarm: await state.storage.getAlarm(),
      pieces: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM pieces").one().n,
      clientWebhooks: assembler.job() ? state.storage.sql.exec<ClientWebhookRow>("SELECT * FROM client_webhooks ORDER BY seq").toArray() : [],
    };
  });
}

/** The due-work row `name`, or null. */
export async function workRow(stub: DurableObjectStub<JobAssembler>, name: WorkName) {
  return (await assemblerState(stub)).work.find((row) => row.name === name) ?? null;
}

/** As if `ms` had passed: every due time and the job's deadline move that much closer. */
export async function passTime(stub: DurableObjectStub<JobAssembler>, ms: number) {
  await runInDurableObject(stub, (instance, state) => {
    state.storage.sql.exec("UPDATE job SET deadline_at = deadline_at - ?, dispatch_started_at = dispatch_started_at - ?", ms, ms);
    state.storage.sql.exec("UPDATE work SET due_at = due_at - ?", ms);
    state.storage.sql.exec("UPDATE client_webhooks SET due_at = due_at - ?, first_attempt_at = first_attempt_at - ?", ms, ms);
    reloadFromStorage(instance);
  });
}

/** Runs the JobAssembler's alarm `ms` of simulated time from now; false when no alarm was set. */
export async function runAlarmAfter(stub: DurableObjectStub<JobAssembler>, ms: number) {
  await passTime(stub, ms);
  return runDurableObjectAlarm(stub);
}

/** Runs the alarm just past the job's deadline. */
export async function runAlarmPastDeadline(stub: DurableObjectStub<JobAssembler>) {
  const { job } = await assemblerState(stub);
  return runAlarmAfter(stub, Math.max(0, job!.deadline_at - Date.now() + 1));
}

/** A D1 binding that refuses every query, as D1 does during an outage. */
export const unavailableD1 = new Proxy(env.DB, {
  get(target, property) {
    if (property === "prepare" || property === "batch" || property === "exec") {
      return () => {
        throw new Error("D1_ERROR: Network connection lost.");
      };
    }
    return Reflect.get(target, property);
  },
});

/** Gives the JobAssembler another D1 binding: it reads D1 through its env, so swapping the binding stages an outage. */
export async function swapDatabase(stub: DurableObjectStub<JobAssembler>, database: D1Database) {
  await runInDurableObject(stub, (instance: JobAssembler) => {
    (instance as unknown as { env: Env }).env = { ...env, DB: database };
  });
}
