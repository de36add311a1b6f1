import { checkAndApply } from "./apply-checked.js";
import type { D1Writes } from "./d1-sync.js";
import { runDeadline } from "./deadline.js";
import { cancelRun, dispatchUnconfirmed } from "./dispatch.js";
import { endJob } from "./finish.js";
import type { AssemblerParts } from "./parts.js";
import { scheduleRetention } from "./retention.js";
import type { Schedule, WorkRow } from "./schedule.js";
import { completionGraceExpired, settle, type SettleResult } from "./settle.js";
import { isOver, type AssemblerState } from "./state.js";

/** Kept work (the store or D1 down) is retried until a day past the deadline; the cron sweep covers D1 after that. */
const RETRY_HORIZON_MS = 24 * 60 * 60 * 1000;
// The platform's own transient reset: rethrown so it retries the alarm on fresh code (as cloudflare/agents does).
const CODE_UPDATE_RESET = /reset because its code was updated|script has been upgraded/i;

/** The JobAssembler as its due work sees it: its parts, D1 and what only the object itself can do. */
export type WorkContext = AssemblerParts & {
  env: Env;
  d1: D1Writes;
  /** The retention is due: the job's storage goes, unless something still needs it. */
  clearStorage(): Promise<void>;
};

/**
 * Moves the kept work on (settle.ts), then writes D1 when it is due, or at once (`writeD1`, as a
 * retry does). The settle work's row records the outcome: done, retried on its backoff, or given
 * up a day past the deadline.
 */
export async function settleKeptWork(ctx: WorkContext, inHand?: ReadonlyMap<number, Uint8Array>, writeD1 = false): Promise<SettleResult> {
  const { state, schedule, d1 } = ctx;
  const kept = await settle(ctx, inHand);
  if (writeD1) await d1.writeNow(ctx.env);
  else await d1.writeIfDue(ctx.env);
  const d1Error = d1.failing();
  const settled = { done: kept.done && d1Error === null, lastError: d1Error ?? kept.lastError };
  const job = state.job();
  if (settled.done) {
    schedule.done("settle");
  } else if (job && Date.now() > job.deadline_at + RETRY_HORIZON_MS) {
    console.error(`job ${job.id}: giving up on work kept a day past its deadline: ${settled.lastError}`);
    schedule.done("settle");
  } else {
    schedule.retry("settle", settled.lastError ?? "kept work not finished");
  }
  return settled;
}

/** The alarm's pass: D1 first when it lags (the client's webhooks and the retention wait for it), then the due work. */
export async function runAlarmWork(ctx: WorkContext): Promise<void> {
  await ctx.d1.writeIfLagging(ctx.env);
  const d1Error = ctx.d1.failing();
  if (d1Error && !ctx.schedule.get("settle")) ctx.schedule.retry("settle", d1Error);
  await runDueWork(ctx);
}

/** Runs every task that is due, each on its own: a task that throws is counted and retried later. */
export async function runDueWork(ctx: WorkContext): Promise<void> {
  const { state, schedule } = ctx;
  for (let pass = 0; pass < 3; pass++) {
    if (!state.job()) return;
    const due = schedule.dueBy(Date.now());
    if (!due.length) return;
    for (const work of due) {
      // The retention cleared the storage: nothing is left to do.
      if (!state.job()) return;
      try {
        await runTask(ctx, work);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (CODE_UPDATE_RESET.test(message)) throw error;
        console.error(`job ${state.job()?.id}: ${work.name} failed, retried later: ${message}`);
        schedule.retry(work.name, message);
      }
    }
  }
}

async function runTask(ctx: WorkContext, work: WorkRow): Promise<void> {
  const { env, state, schedule } = ctx;
  const job = state.job();
  if (!job) return schedule.done(work.name);
  if (work.name.startsWith("cancel:")) {
    return cancelRun(env, state, schedule, work.name, work.name.slice("cancel:".length));
  }
  switch (work.name) {
    case "settle":
      await settleKeptWork(ctx, undefined, true);
      return;
    case "completion_grace":
      return ctx.transaction(() => completionGraceExpired(state, schedule));
    case "retention":
      return ctx.clearStorage();
    case "dispatch_unknown":
      return ctx.transaction(() => {
        const reason = dispatchUnconfirmed(state, schedule);
        if (reason) endJob(state, schedule, "failed", reason);
      });
    case "deadline":
      if (isOver(job)) return schedule.done("deadline");
      return runDeadline({
        env, state, schedule,
        settle: () => settleKeptWork(ctx, undefined, true),
        applyOutput: async (events) => {
          const applied = await checkAndApply(ctx, events, { source: "runpod", webhookId: null, receivedAt: Date.now() });
          if (Array.isArray(applied)) await settleKeptWork(ctx);
        },
      });
  }
}

/**
 * The work a job always has: a job still running, its deadline; a job that ended, once D1 and the
 * client were told, its retention.
 */
export function keepStandingWork(state: AssemblerState, schedule: Schedule, retentionMs: number) {
  const job = state.job();
  if (!job) return;
  if (!isOver(job) && !schedule.get("deadline")) schedule.due("deadline", job.deadline_at);
  scheduleRetention(state, schedule, retentionMs);
}
