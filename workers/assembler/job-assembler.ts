import { DurableObject } from "cloudflare:workers";
import type { ClientWebhookEvent, EaselEvent, JobStatus, RunpodWebhook } from "../../schema/contract/index.js";
import type { JobType } from "../../schema/d1.js";
import { settings } from "../env.js";
import { RunpodError, cancelJob } from "../services/runpod.js";
import { createObjectStore, type ObjectStore } from "../services/storage.js";
import { Alarm, nextAlarmAt } from "./alarm.js";
import { bytesInHand, checkAndApply } from "./apply-checked.js";
import type { CheckedEvent } from "./check-events.js";
import { recordClientWebhook, sendDueClientWebhooks } from "./client-webhook-outbox.js";
import { D1Writes } from "./d1-sync.js";
import { DISPATCH_CONFIRM_MS, recogniseRun } from "./dispatch.js";
import { keepStandingWork, runAlarmWork, runDueWork, settleKeptWork, type WorkContext } from "./due-work.js";
import { EventFeed, finalEventOnly, renderEvent } from "./event-stream.js";
import { endJob } from "./finish.js";
import { afterTheEnd, appliedOutcome, reject, type DeliveryOutcome } from "./outcome.js";
import { Pieces } from "./pieces.js";
import { storageStillNeeded } from "./retention.js";
import { interpretRunpod, runpodTimes } from "./runpod-signal.js";
import { Schedule } from "./schedule.js";
import type { SettleResult } from "./settle.js";
import { AssemblerState, isOver, type ImageSource, type NewJob } from "./state.js";
import { Wakeup } from "./wakeup.js";

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

/** The job's record as the JobAssembler keeps it. */
function newJob(job: OpenJob, runpodJobId: string | null, dispatchStartedAt: number | null): NewJob {
  return {
    id: job.id, owner: job.owner, type: job.type, prefix: job.prefix, expected: job.expected, deadline_at: job.deadlineAt,
    runpod_job_id: runpodJobId, dispatch_started_at: dispatchStartedAt, webhook_events: job.webhookEvents ? JSON.stringify(job.webhookEvents) : null,
  };
}

/**
 * One per job. Every verified event for the job comes here and is applied one at a time:
 * checked first (bucket HEADs, decoding, hashing), then written in one transaction, then kept in
 * SQLite until it lands in the bucket and D1. The state is read once and kept in memory, written
 * through (state.ts); the handler's answer waits for SQLite, not for D1 (d1-sync.ts). One alarm
 * drives the job's due work (due-work.ts, schedule.ts).
 */
export class JobAssembler extends DurableObject<Env> {
  private readonly state: AssemblerState;
  private readonly pieces: Pieces;
  private readonly schedule: Schedule;
  private readonly alarmClock: Alarm;
  private readonly store: ObjectStore;
  private readonly d1: D1Writes;
  private readonly d1Wakeup: Wakeup;
  private queue: Promise<unknown> = Promise.resolve();
  private eventFeed: EventFeed | null = null;
  private clientWebhookSending: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.state = new AssemblerState(ctx.storage.sql);
    this.pieces = new Pieces(ctx.storage.sql);
    this.schedule = new Schedule(ctx.storage.sql);
    this.alarmClock = new Alarm(ctx.storage);
    this.store = createObjectStore(env);
    this.d1 = new D1Writes(this.state, !this.store.capabilities.canPresign);
    this.d1Wakeup = new Wakeup(() => this.serial(() => this.runAlarmPass()));
    // Read once; from here on the state lives in memory and is written through.
    void ctx.blockConcurrencyWhile(async () => {
      this.load();
      await this.alarmClock.load();
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
        this.state.createJob(newJob(job, null, now));
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
      const applied = await checkAndApply(this.work(), delivery.events, { source: delivery.source, webhookId: delivery.webhookId, receivedAt });
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
      const applied = await checkAndApply(this.work(), signal.events, { source: "runpod", webhookId: null, receivedAt: Date.now() });
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
          this.state.createJob(newJob(recorded, recorded.runpodJobId, null));
          endJob(this.state, this.schedule, "timed_out", "deadline passed before the job's JobAssembler opened");
        });
      }
      const job = this.state.job()!;
      if (!isOver(job) && Date.now() >= job.deadline_at) this.schedule.due("deadline", job.deadline_at);
      this.schedule.due("settle", Date.now());
      try {
        await runDueWork(this.work());
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
    this.alarmClock.fired();
    this.d1.alarmFired();
    await this.serial(() => this.runAlarmPass());
    await this.sendClientWebhooks();
  }

  /** The alarm's work, which D1's wake-up runs too: D1 brought up to date, then whatever is due. */
  private async runAlarmPass(): Promise<void> {
    try {
      await runAlarmWork(this.work());
    } finally {
      await this.arm();
    }
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

  /** What the due work acts on, taken from the object as it is now. */
  private work(): WorkContext {
    return {
      env: this.env, state: this.state, pieces: this.pieces, store: this.store, schedule: this.schedule, d1: this.d1,
      maxImageBytes: settings(this.env).maxImageBytes,
      transaction: (writes) => this.transaction(writes),
      clearStorage: () => this.clearStorage(),
    };
  }

  /** After a change: settle at once (with the bytes in hand), run whatever became due (a RunPod cancel), set the alarm. */
  private async afterChange(inHand?: ReadonlyMap<number, Uint8Array>): Promise<SettleResult> {
    try {
      const settled = await settleKeptWork(this.work(), inHand);
      await runDueWork(this.work());
      return settled;
    } finally {
      await this.arm();
    }
  }

  private async finishWith<T>(outcome: T): Promise<T> {
    await this.afterChange();
    return outcome;
  }

  /** The alarm, at the next due time, once the work a job always has is in place; D1's next batch on the wake-up. */
  private async arm(): Promise<void> {
    keepStandingWork(this.state, this.schedule, settings(this.env).jobStateRetentionMs);
    const d1WriteAt = this.d1.nextAt();
    this.d1Wakeup.setTo(d1WriteAt);
    await this.alarmClock.setTo(nextAlarmAt(this.state, this.schedule, this.d1.alarmAt(d1WriteAt)));
  }

  /** The job ended long enough ago: its storage goes (D1 keeps the record), unless something is still to do. */
  private async clearStorage(): Promise<void> {
    if (storageStillNeeded(this.state, this.schedule)) {
      this.schedule.retry("retention", "waiting for D1, the client's webhooks or a RunPod cancel");
      return;
    }
    await this.ctx.storage.deleteAll();
    await this.alarmClock.clear();
    this.load();
  }

  /** One sender at a time, so the client's webhooks go in order; each outcome is recorded in the serial queue. */
  private async sendClientWebhooks(): Promise<void> {
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

  private outcome(applied: CheckedEvent[], settled: SettleResult): DeliveryOutcome {
    return appliedOutcome(this.state.job()!.status, applied, settled);
  }
}
