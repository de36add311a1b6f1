import { and, asc, inArray, lt } from "drizzle-orm";
import { jobs } from "../../schema/d1.js";
import { assemblerFor } from "../assembler/assembler-for.js";
import { database } from "../db.js";
import { jobPrefix } from "../services/object-keys.js";

/** A job's own alarm ends it at its deadline; the sweep only takes what that missed for this long. */
export const SWEEP_GRACE_MS = 2 * 60_000;
const SWEEP_BATCH = 50;

/**
 * The Cron Trigger's sweep: jobs D1 still shows queued or running past their deadline are settled
 * through their JobAssembler, which opens from D1's record where it never opened (a Worker that
 * died between the D1 insert and the open) and writes D1 again where D1 lags (a D1 failure after
 * the JobAssembler committed).
 */
export async function sweepOverdueJobs(env: Env, now = Date.now()): Promise<{ swept: number; failed: number }> {
  const overdue = await database(env)
    .select()
    .from(jobs)
    .where(and(inArray(jobs.status, ["queued", "running"]), lt(jobs.deadlineAt, now - SWEEP_GRACE_MS)))
    .orderBy(asc(jobs.deadlineAt))
    .limit(SWEEP_BATCH);
  let failed = 0;
  for (const job of overdue) {
    try {
      await assemblerFor(env, job.id).sweep({
        id: job.id, owner: job.owner, type: job.type, prefix: jobPrefix(job.owner, job.id),
        expected: job.expectedImages, deadlineAt: job.deadlineAt, runpodJobId: job.runpodJobId,
        webhookEvents: job.webhookUrl ? job.webhookEvents : null,
      });
    } catch (error) {
      failed++;
      console.error(`sweep: job ${job.id} could not be settled: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { swept: overdue.length, failed };
}
