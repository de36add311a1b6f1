import { DurableObject } from "cloudflare:workers";
import type { ClientWebhookEvent, EaselEvent, JobStatus, RunpodWebhook } from "../../schema/contract/index.js";
import type { JobType } from "../../schema/d1.js";
import { settings } from "../env.js";
import { RunpodError, cancelJob } from "../services/runpod.js";
import { createObjectStore, type ObjectStore } from "../services/storage.js";
import { applyChecked, bytesInHand } from "./apply-checked.js";
import { checkEvent, conflictWithin, type CheckedEvent } from "./check-events.js";
import { recordClientWebhook, sendDueClientWebhooks } from "./client-webhook-outbox.js";
import { D1Writes } from "./d1-sync.js";
import { runDeadline } from "./deadline.js";
import { DISPATCH_CONFIRM_MS, cancelRun, dispatchUnconfirmed, recogniseRun } from "./dispatch.js";
import { EventFeed, finalEventOnly, renderEvent } from "./event-stream.js";
import { endJob } from "./finish.js";
import { afterTheEnd, appliedOutcome, reject, type DeliveryOutcome, type Rejection } from "./outcome.js";
import { Pieces } from "./pieces.js";
import { scheduleRetention, storageStillNeeded } from "./retention.js";
import { interpretRunpod, runpodTimes } from "./runpod-signal.js";
import { Schedule, type WorkRow } from "./schedule.js";
import { completionGraceExpired, settle, type SettleContext, type SettleResult } from "./settle.js";
import { AssemblerState, isOver, type ImageSource } from "./state.js";

/** `webhookEvents`: what the client's own `webhook` is told about; absent or null: the job has no webhook. */
export type OpenJob = {
  id: string; owner: string; type: JobType; prefix: string; expected: number; deadlineAt: number;
  webhookEvents?: ClientWebhookEvent[] | null;
};
/** A job as D1 knows it, for the sweep: its JobAssembler may never have opened. */
export type RecordedJob = OpenJob & { runpodJobId: string | null };
export type Delivery = { webhookId: string | null; events: EaselEvent[]; source: ImageSource; runpodJobId?: string };
export type CancelOutcome =
  | { result: "canceled" | "missing" }
  | { result: "ended"; status: JobStatus }
  | { result: "runpod_unavailable"; message: string };

/** Kept work (the store or D1 down) is retried until a day past the deadline; the cron sweep covers D1 after that. */
const RETRY_HORIZON_MS = 24 * 60 * 60 * 1000;
// The platform's own transient reset: rethrown so it retries the alarm on fresh code (as cloudflare/agents does).
const CODE_UPDATE_RESET = /reset because its code was updated|script has been upgraded/i;

/**
 * One per job. Every verified event for the job comes here and is applied one at a time:
 * checked first (bucket HEADs, decoding, hashing), then written in one transaction, then kept in
 * SQLite until it lands in the bucket and D1. The state is read once and kept in memory, written
 * through (state.ts); the handler's answer waits for SQLite, not for D1 (d1-sync.ts). One alarm
 * drives the job's due work (schedule.ts).
 */
export class JobAssembler extends DurableObject<Env> {
  private readonly state: AssemblerState;
  private readonly pieces: Pieces;
  private readonly schedule: Schedule;
  private readonly store: ObjectStore;
  private readonly d1: D1Writes;
  private queue: Promise<unknown> = Promise.resolve();
  private eventFeed: EventFeed | null = null;
  private clientWebhookSending: Promise<void> | null = null;
  /** The alarm as last set (memory of `setAlarm`): it is written only when the next due time changes. */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.state = new AssemblerState(ctx.storage.sql);
    this.pieces = new Pieces(ctx.storage.sql);
    this.schedule = new Schedule(ctx.storage.sql);
    this.store = createObjectStore(env);
    this.d1 = new D1Writes(this.state, !this.store.capabilities.canPresign);
    // Read once; from here on the state lives in memory and is written through.
    void ctx.blockConcurrencyWhile(async () => {
      this.load();
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** The state and the due work, from SQLite. An object without tables (never opened, or cleared by the retention) holds no job. */
  private load() {
    this.state.load();
    this.schedule.load();
    this.d1.loaded();
  }

  /** Records the job and the dispatch attempt about to be made: from here on an alarm owns the job. */
  async open(job: OpenJob): Promise<void> {
    await this.serial(async () => {
      const now = Date.now();
      this.transaction(() => {
        this.state.createJob({
          id: job.id, owner: job.owner, type: job.type, prefix: job.prefix,
          expected: job.expected, deadline_at: job.deadlineAt, runpod_job_id: null, dispatch_started_at: now,
          webhook_events: job.webhookEvents ? JSON.stringify(job.webhookEvents) : null,
        });
        this.schedule.due("deadline", job.deadlineAt);
        this.schedule.due("dispatch_unknown", Math.min(now + DISPATCH_CONFIRM_MS, job.deadlineAt));
      });
      await this.arm();
    });
  }

  /** RunPod's /run answered with its id: the run is the job's, or canceled when the job ended meanwhile. */
  async dispatched(runpodJobId: string): Promise<void> {
    await this.serial(async () => {
      this.transaction(() => recogniseRun(this.state, this.schedule, runpodJobId));
      await this.afterChange();
    });
  }

  /**
   * RunPod's /run failed. A refusal ends the job now; an unknown outcome (a timeout: RunPod may
   * have taken the run) leaves the attempt to be confirmed by a sign of the run, or to expire.
   */
  async dispatchFailed(reason: string, outcome: "refused" | "unknown"): Promise<void> {
    await this.serial(async () => {
      if (outcome === "refused") this.transaction(() => endJob(this.state, this.schedule, "failed", `dispatch failed: ${reason}`));
      else console.error(`job ${this.state.job()?.id}: dispatch outcome unknown, waiting for a sign of the run: ${reason}`);
      await this.afterChange();
    });
  }

  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    const receivedAt = Date.now();
    return this.serial(async () => {
      const job = this.state.job();
      if (!job) return reject("not_found", "job not found");
      const { runpodJobId } = delivery;
      // The run is known and the job goes on: nothing to record (the usual case).
      if (runpodJobId && (runpodJobId !== job.runpod_job_id || isOver(job))) this.transaction(() => recogniseRun(this.state, this.schedule, runpodJobId));
      if (delivery.webhookId && this.state.hasSeen(delivery.webhookId)) {
        return this.finishWith({ result: "duplicate", status: job.status, detail: "webhook-id already applied" });
      }
      if (isOver(job)) return this.finishWith(afterTheEnd(this.state, delivery.events));
      const applied = await this.checkAndApply(delivery.events, delivery.source, delivery.webhookId, receivedAt);
      if (!Array.isArray(applied)) return this.finishWith(applied);
      // Live clients see a change once it is durable here, before D1 and the alarm; a final status
      // waits for D1 (after the job's last event, D1 must show it: `Prefer: wait` reads it).
      if (!isOver(this.state.job()!)) this.eventFeed?.publish();
      return this.outcome(applied, await this.afterChange(bytesInHand(applied)));
    });
  }

  /** RunPod's own webhook: a second signal that completes a job whose handler callbacks were lost. */
  async runpodSignal(payload: RunpodWebhook): Promise<DeliveryOutcome> {
    return this.serial(async () => {
      const job = this.state.job();
      if (!job) return reject("not_found", "job not found");
      this.transaction(() => {
        // RunPod's own times are the job's metrics, whenever they come (usually after the job ended).
        if (recogniseRun(this.state, this.schedule, payload.id) !== "unwanted") this.state.updateJob(runpodTimes(payload));
      });
      if (isOver(job)) return this.finishWith({ result: "ignored", status: job.status, detail: `job is ${job.status}` });
      const signal = interpretRunpod(payload);
      if (signal.kind === "running") return this.finishWith({ result: "ignored", status: job.status, detail: `RunPod reports ${signal.status}` });
      if (signal.kind === "end") {
        this.transaction(() => endJob(this.state, this.schedule, signal.status, signal.reason, { runpodReportedEnd: true }));
        return this.outcome([], await this.afterChange());
      }
      const applied = await this.checkAndApply(signal.events, "runpod", null, Date.now());
      if (!Array.isArray(applied)) return this.finishWith(applied);
      return this.outcome(applied, await this.afterChange());
    });
  }

  /** The client's cancel: at RunPod first, then here, unless the job ended meanwhile. */
  async cancel(reason: string): Promise<CancelOutcome> {
    return this.serial(async (): Promise<CancelOutcome> => {
      const job = this.state.job();
      if (!job) return { result: "missing" };
      if (isOver(job)) return { result: "ended", status: job.status };
      if (job.runpod_job_id) {
        try {
          await cancelJob(this.env, job.type, job.runpod_job_id);
        } catch (error) {
          if (error instanceof RunpodError) return { result: "runpod_unavailable", message: error.message };
          throw error;
        }
      }
      this.transaction(() => endJob(this.state, this.schedule, "canceled", reason, { runpodReportedEnd: true }));
      await this.afterChange();
      return { result: "canceled" };
    });
  }

  /**
   * The cron sweep's call for a job D1 still shows unfinished past its deadline: settles it here,
   * opening the record from D1's where the JobAssembler never opened.
   */
  async sweep(recorded: RecordedJob): Promise<JobStatus> {
    return this.serial(async () => {
      if (!this.state.job()) {
        this.transaction(() => {
          this.state.createJob({
            id: recorded.id, owner: recorded.owner, type: recorded.type, prefix: recorded.prefix,
            expected: recorded.expected, deadline_at: recorded.deadlineAt, runpod_job_id: recorded.runpodJobId, dispatch_started_at: null,
            webhook_events: recorded.webhookEvents ? JSON.stringify(recorded.webhookEvents) : null,
          });
          endJob(this.state, this.schedule, "timed_out", "deadline passed before the job's JobAssembler opened");
        });
      }
      const job = this.state.job()!;
      if (!isOver(job) && Date.now() >= job.deadline_at) this.schedule.due("deadline", job.deadline_at);
      this.schedule.due("settle", Date.now());
      try {
        await this.runDueWork();
      } finally {
        await this.arm();
      }
      return this.state.job()!.status;
    });
  }

  /**
   * Writes to D1 now what it lacks (a job view of a running job asks first: D1 trails the
   * JobAssembler by up to D1_WRITE_DELAY_MS). True when D1 got something new.
   */
  async writeD1(): Promise<boolean> {
    return this.serial(async () => {
      if (!this.state.d1Lags()) return false;
      const error = await this.d1.writeNow(this.env);
      if (error) this.schedule.retry("settle", error);
      await this.arm();
      return error === null;
    });
  }

  /** Live events after `lastEventId`, as Server-Sent Events; one feed fans out to every stream. */
  async events(lastEventId: number, recordedStatus: JobStatus): Promise<ReadableStream<Uint8Array>> {
    // A job whose JobAssembler never opened ended at creation: its record is all there is to tell.
    if (!this.state.job()) return finalEventOnly(recordedStatus);
    this.eventFeed ??= new EventFeed(this.state, (event) => renderEvent(this.env, this.store, this.state, event));
    return this.eventFeed.subscribe(lastEventId);
  }

  /** Runs the due work; whatever happens, the next alarm is set before it returns. Then the client's webhooks that are due. */
  override async alarm(): Promise<void> {
    // The alarm that fired is spent: the next one must be set, whatever its time.
    this.alarmAt = null;
    await this.serial(async () => {
      try {
        // D1 first when it is due: the client's webhooks and the retention wait for it.
        await this.d1.writeIfDue(this.env);
        const d1Error = this.d1.failing();
        if (d1Error && !this.schedule.get("settle")) this.schedule.retry("settle", d1Error);
        await this.runDueWork();
      } finally {
        await this.arm();
      }
    });
    // One sender at a time, so the client's webhooks go in order.
    this.clientWebhookSending ??= sendDueClientWebhooks(this.env, this.state, (entry, outcome) =>
      this.serial(async () => {
        this.transaction(() => recordClientWebhook(this.state, entry, outcome));
        await this.arm();
      }),
    ).finally(() => {
      this.clientWebhookSending = null;
    });
    await this.clientWebhookSending;
  }

  /** Runs `work` after every earlier call has finished: input gates open during awaits, this does not. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    void this.queue.then(() => this.eventFeed?.publish());
    return run;
  }

  /** Writes together or not at all; the memory, already changed by the writes that ran, is read back from SQLite when one throws. */
  private transaction(writes: () => void) {
    try {
      this.ctx.storage.transactionSync(writes);
    } catch (error) {
      this.load();
      throw error;
    }
  }

  /** Every event is checked first (all the awaiting), then all are applied in one transaction: a bad delivery changes nothing. */
  private async checkAndApply(events: EaselEvent[], source: ImageSource, webhookId: string | null, receivedAt: number): Promise<CheckedEvent[] | Rejection> {
    const job = this.state.job()!;
    const context = {
      state: this.state, pieces: this.pieces, store: this.store, prefix: job.prefix,
      expected: job.expected, maxImageBytes: settings(this.env).maxImageBytes,
    };
    // The checks read the state and write nothing: their HEADs run together.
    const results = await Promise.all(events.map((event) => checkEvent(context, event, source)));
    const rejection = results.find((result): result is Rejection => "result" in result);
    if (rejection) return rejection;
    const checked = results as CheckedEvent[];
    const conflict = conflictWithin(checked);
    if (conflict) return conflict;
    this.transaction(() => {
      for (const event of checked) {
        if (isOver(this.state.job()!)) break;
        applyChecked({ state: this.state, pieces: this.pieces, schedule: this.schedule, receivedAt }, event);
      }
      if (webhookId) this.state.markSeen(webhookId);
    });
    return checked;
  }

  private settleContext(): SettleContext {
    return {
      state: this.state, pieces: this.pieces, store: this.store, schedule: this.schedule,
      maxImageBytes: settings(this.env).maxImageBytes, transaction: (writes) => this.transaction(writes),
    };
  }

  /** After a change: settle at once (with the bytes in hand), run whatever became due (a RunPod cancel), set the alarm. */
  private async afterChange(inHand?: ReadonlyMap<number, Uint8Array>): Promise<SettleResult> {
    try {
      const settled = await this.runSettle(inHand);
      await this.runDueWork();
      return settled;
    } finally {
      await this.arm();
    }
  }

  private async finishWith<T>(outcome: T): Promise<T> {
    await this.afterChange();
    return outcome;
  }

  /**
   * Kept work moved on, then D1 when it is due (`writeD1`: at once, as a retry does); what fails
   * is retried on the settle work's backoff.
   */
  private async runSettle(inHand?: ReadonlyMap<number, Uint8Array>, writeD1 = false): Promise<SettleResult> {
    const kept = await settle(this.settleContext(), inHand);
    if (writeD1) await this.d1.writeNow(this.env);
    else await this.d1.writeIfDue(this.env);
    const d1Error = this.d1.failing();
    const settled = { done: kept.done && d1Error === null, lastError: d1Error ?? kept.lastError };
    const job = this.state.job();
    if (settled.done) {
      this.schedule.done("settle");
    } else if (job && Date.now() > job.deadline_at + RETRY_HORIZON_MS) {
      console.error(`job ${job.id}: giving up on work kept a day past its deadline: ${settled.lastError}`);
      this.schedule.done("settle");
    } else {
      this.schedule.retry("settle", settled.lastError ?? "kept work not finished");
    }
    return settled;
  }

  /** Runs every task that is due, each on its own: a task that throws is counted and retried later. */
  private async runDueWork(): Promise<void> {
    for (let pass = 0; pass < 3; pass++) {
      if (!this.state.job()) return;
      const due = this.schedule.dueBy(Date.now());
      if (!due.length) return;
      for (const work of due) {
        // The retention cleared the storage: nothing is left to do.
        if (!this.state.job()) return;
        try {
          await this.runTask(work);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (CODE_UPDATE_RESET.test(message)) throw error;
          console.error(`job ${this.state.job()?.id}: ${work.name} failed, retried later: ${message}`);
          this.schedule.retry(work.name, message);
        }
      }
    }
  }

  private async runTask(work: WorkRow): Promise<void> {
    const job = this.state.job();
    if (!job) return this.schedule.done(work.name);
    if (work.name.startsWith("cancel:")) {
      return cancelRun(this.env, this.state, this.schedule, work.name, work.name.slice("cancel:".length));
    }
    switch (work.name) {
      case "settle":
        await this.runSettle(undefined, true);
        return;
      case "completion_grace":
        return this.transaction(() => completionGraceExpired(this.state, this.schedule));
      case "retention":
        return this.clearStorage();
      case "dispatch_unknown":
        return this.transaction(() => {
          const reason = dispatchUnconfirmed(this.state, this.schedule);
          if (reason) endJob(this.state, this.schedule, "failed", reason);
        });
      case "deadline":
        if (isOver(job)) return this.schedule.done("deadline");
        return runDeadline({
          env: this.env, state: this.state, schedule: this.schedule,
          settle: () => this.runSettle(undefined, true),
          applyOutput: async (events) => {
            const applied = await this.checkAndApply(events, "runpod", null, Date.now());
            if (Array.isArray(applied)) await this.runSettle();
          },
        });
    }
  }

  /**
   * The next alarm: the earliest due work, or the client's next webhook once D1 shows what it
   * tells. A job still running always has its deadline among its work; a job that ended, with D1
   * and the client told, has its retention.
   */
  private async arm(): Promise<void> {
    const job = this.state.job();
    if (!job) {
      if (this.alarmAt !== null) await this.ctx.storage.deleteAlarm();
      this.alarmAt = null;
      return;
    }
    if (!isOver(job) && !this.schedule.get("deadline")) this.schedule.due("deadline", job.deadline_at);
    scheduleRetention(this.state, this.schedule, settings(this.env).jobStateRetentionMs);
    const clientWebhook = this.state.d1Lags() ? null : this.state.nextClientWebhook();
    const times = [this.schedule.next(), clientWebhook?.due_at ?? null, this.d1.nextAt()].filter((at): at is number => at !== null);
    const next = times.length ? Math.min(...times) : null;
    if (next === this.alarmAt) return;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
    this.alarmAt = next;
  }

  /** The job ended long enough ago: its storage goes (D1 keeps the record), unless something is still to do. */
  private async clearStorage(): Promise<void> {
    if (storageStillNeeded(this.state, this.schedule)) {
      this.schedule.retry("retention", "waiting for D1, the client's webhooks or a RunPod cancel");
      return;
    }
    await this.ctx.storage.deleteAll();
    await this.ctx.storage.deleteAlarm();
    this.alarmAt = null;
    this.load();
  }

  private outcome(applied: CheckedEvent[], settled: SettleResult): DeliveryOutcome {
    return appliedOutcome(this.state.job()!.status, applied, settled);
  }
}
