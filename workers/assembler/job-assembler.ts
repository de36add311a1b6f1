import { DurableObject } from "cloudflare:workers";
import type { EaselEvent, RunpodWebhook } from "../../schema/contract/index.js";
import type { JobStatus, JobType } from "../../schema/d1.js";
import { settings } from "../env.js";
import { RunpodError, cancelJob } from "../services/runpod.js";
import { createObjectStore, type ObjectStore } from "../services/storage.js";
import { applyChecked } from "./apply-checked.js";
import { checkEvent, conflictWithin, type CheckedEvent } from "./check-events.js";
import { resolveAtDeadline } from "./deadline.js";
import { EventFeed, finalEventOnly, renderEvent } from "./event-stream.js";
import { reject, type DeliveryOutcome, type Rejection } from "./outcome.js";
import { Pieces } from "./pieces.js";
import { nextAttemptAt } from "./retry-schedule.js";
import { interpretRunpod } from "./runpod-signal.js";
import { finaliseIfComplete, settle } from "./settle.js";
import { migrate } from "./sqlite-schema.js";
import { AssemblerState, TERMINAL, type ImageSource } from "./state.js";

export type OpenJob = { id: string; owner: string; type: JobType; prefix: string; expected: number; deadlineAt: number };
export type Delivery = { webhookId: string | null; events: EaselEvent[]; source: ImageSource };
type EndStatus = "failed" | "canceled" | "timed_out";
export type CancelOutcome =
  | { result: "canceled" | "missing" }
  | { result: "ended"; status: JobStatus }
  | { result: "runpod_unavailable"; message: string };

const RETRY_HORIZON_MS = 24 * 60 * 60 * 1000;
const JOB_STATE_EVENTS = new Set<EaselEvent["kind"]>(["progress", "completed", "failed"]);

/**
 * One per job. Every verified event for the job comes here and is applied one at a time:
 * deduped, checked against the bucket, kept in SQLite until it lands in the bucket and D1.
 */
export class JobAssembler extends DurableObject<Env> {
  private readonly state: AssemblerState;
  private readonly pieces: Pieces;
  private readonly store: ObjectStore;
  private queue: Promise<unknown> = Promise.resolve();
  private eventFeed: EventFeed | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.state = new AssemblerState(ctx.storage.sql);
    this.pieces = new Pieces(ctx.storage.sql);
    this.store = createObjectStore(env);
    void ctx.blockConcurrencyWhile(async () => migrate(ctx.storage.sql));
  }

  async open(job: OpenJob): Promise<void> {
    this.state.createJob({
      id: job.id, owner: job.owner, type: job.type, prefix: job.prefix,
      expected: job.expected, deadline_at: job.deadlineAt, runpod_job_id: null,
    });
    await this.scheduleAlarm();
  }

  async dispatched(runpodJobId: string): Promise<void> {
    await this.serial(async () => {
      const job = this.state.job();
      this.state.updateJob({ runpod_job_id: runpodJobId });
      // Canceled (or ended) while RunPod was taking the run: the run must not keep a GPU busy.
      if (job && TERMINAL.includes(job.status) && job.status !== "completed") {
        await cancelJob(this.env, job.type, runpodJobId).catch((error: unknown) => console.error("cancel at RunPod", error));
      }
      await this.settleAndSchedule();
    });
  }

  async deliver(delivery: Delivery): Promise<DeliveryOutcome> {
    return this.serial(async () => {
      const job = this.state.job();
      if (!job) return reject("not_found", "job not found");
      if (delivery.webhookId && this.state.hasSeen(delivery.webhookId)) {
        return { result: "duplicate", status: job.status, detail: "webhook-id already applied" };
      }
      // A completed job still takes images (a redelivery is a duplicate); nothing may reopen or end it again.
      const events = job.status === "completed" ? delivery.events.filter((event) => !JOB_STATE_EVENTS.has(event.kind)) : delivery.events;
      if (TERMINAL.includes(job.status) && (job.status !== "completed" || events.length === 0)) {
        return { result: "ignored", status: job.status, detail: `job is ${job.status}` };
      }
      const applied = await this.checkAndApply(events, delivery.source);
      if (!Array.isArray(applied)) return applied;
      if (delivery.webhookId) this.state.markSeen(delivery.webhookId);
      return this.outcome(applied, await this.settleAndSchedule());
    });
  }

  /** RunPod's own webhook: a second signal that completes a job whose handler callbacks were lost. */
  async runpodSignal(payload: RunpodWebhook): Promise<DeliveryOutcome> {
    return this.serial(async () => {
      const job = this.state.job();
      if (!job) return reject("not_found", "job not found");
      if (TERMINAL.includes(job.status)) return { result: "ignored", status: job.status, detail: `job is ${job.status}` };
      const signal = interpretRunpod(payload);
      if (signal.kind === "running") return { result: "ignored", status: job.status, detail: `RunPod reports ${signal.status}` };
      if (signal.kind === "end") {
        this.endNow(signal.status, signal.reason);
        return this.outcome([], await this.settleAndSchedule());
      }
      const applied = await this.checkAndApply(signal.events, "runpod");
      if (!Array.isArray(applied)) return applied;
      return this.outcome(applied, await this.settleAndSchedule());
    });
  }

  /** The client's cancel: at RunPod first, then here, unless the job ended meanwhile. */
  async cancel(reason: string): Promise<CancelOutcome> {
    return this.serial(async (): Promise<CancelOutcome> => {
      const job = this.state.job();
      if (!job) return { result: "missing" };
      if (TERMINAL.includes(job.status)) return { result: "ended", status: job.status };
      if (job.runpod_job_id) {
        try {
          await cancelJob(this.env, job.type, job.runpod_job_id);
        } catch (error) {
          if (error instanceof RunpodError) return { result: "runpod_unavailable", message: error.message };
          throw error;
        }
      }
      this.endNow("canceled", reason);
      await this.settleAndSchedule();
      return { result: "canceled" };
    });
  }

  /** Ends the job from outside (dispatch failure) unless it already ended. */
  async end(status: EndStatus, reason: string): Promise<void> {
    await this.serial(async () => {
      const job = this.state.job();
      if (!job || TERMINAL.includes(job.status)) return;
      this.endNow(status, reason);
      await this.settleAndSchedule();
    });
  }

  /** Live events after `lastEventId`, as Server-Sent Events; one feed fans out to every stream. */
  async events(lastEventId: number, recordedStatus: JobStatus): Promise<ReadableStream<Uint8Array>> {
    // A job whose JobAssembler never opened ended at creation: its record is all there is to tell.
    if (!this.state.job()) return finalEventOnly(recordedStatus);
    this.eventFeed ??= new EventFeed(this.state, (event) => renderEvent(this.env, this.store, this.state, event));
    return this.eventFeed.subscribe(lastEventId);
  }

  async snapshot() {
    return { job: this.state.job(), images: this.state.images(), retry: this.state.retry(), completion: this.state.completion() };
  }

  override async alarm(): Promise<void> {
    await this.serial(async () => {
      const job = this.state.job();
      if (!job) return;
      if (!TERMINAL.includes(job.status) && Date.now() >= job.deadline_at) {
        await resolveAtDeadline(
          this.env,
          this.state,
          async (events) => void (await this.checkAndApply(events, "runpod")),
          () => finaliseIfComplete(this.state),
        );
      }
      await this.settleAndSchedule();
    });
  }

  /** Runs `work` after every earlier call has finished: input gates open during awaits, this does not. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    void this.queue.then(() => this.eventFeed?.publish());
    return run;
  }

  /** Checks every event first and applies them only if all pass: a bad delivery changes nothing. */
  private async checkAndApply(events: EaselEvent[], source: ImageSource): Promise<CheckedEvent[] | Rejection> {
    const job = this.state.job()!;
    const context = {
      state: this.state, pieces: this.pieces, store: this.store, prefix: job.prefix,
      expected: job.expected, maxImageBytes: settings(this.env).maxImageBytes,
    };
    const checked: CheckedEvent[] = [];
    for (const event of events) {
      const result = await checkEvent(context, event, source);
      if ("result" in result) return result;
      checked.push(result);
    }
    const conflict = conflictWithin(checked);
    if (conflict) return conflict;
    for (const event of checked) await applyChecked(this.state, this.pieces, this.state.job()!, event);
    return checked;
  }

  private endNow(status: EndStatus, reason: string) {
    this.state.updateJob({ status, error: reason, completed_at: Date.now() });
    this.state.appendEvent(status, { error: reason });
  }

  private outcome(applied: CheckedEvent[], settled: { done: boolean; lastError: string | null }): DeliveryOutcome {
    const status = this.state.job()!.status;
    if (!settled.done) return { result: "kept", status, detail: `kept and retried: ${settled.lastError}` };
    const duplicate = applied.length > 0 && applied.every((event) => event.kind === "skip");
    return { result: duplicate ? "duplicate" : "applied", status };
  }

  private async settleAndSchedule() {
    const settled = await settle(this.env, this.state, this.pieces, this.store);
    const job = this.state.job();
    if (settled.done) {
      this.state.setRetry(null);
    } else if (job && Date.now() > job.deadline_at + RETRY_HORIZON_MS) {
      // A day past the deadline the store or D1 is not coming back by itself: stop, and say what was left.
      console.error(`job ${job.id}: giving up on work kept past its deadline: ${settled.lastError}`);
      this.state.setRetry(null);
    } else {
      const attempts = (this.state.retry()?.attempts ?? 0) + 1;
      this.state.setRetry({ attempts, due_at: nextAttemptAt(attempts), last_error: settled.lastError });
    }
    await this.scheduleAlarm();
    return settled;
  }

  private async scheduleAlarm() {
    const job = this.state.job();
    const retry = this.state.retry();
    const due = [retry?.due_at, job && !TERMINAL.includes(job.status) ? job.deadline_at : undefined];
    const times = due.filter((time): time is number => time !== undefined);
    if (times.length) await this.ctx.storage.setAlarm(Math.min(...times));
    else await this.ctx.storage.deleteAlarm();
  }
}
