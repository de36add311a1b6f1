import type { EaselClient } from "@easel/client";
import { completedWebhook, send, type PlayedJob } from "./handler-play.js";
import { inPool } from "./pool.js";
import type { Integrity } from "./types.js";


const CHECKS_AT_ONCE = 8;
// Only so that a job whose stream never ends stops the bench with an error instead of hanging it.
const REPLAY_GIVE_UP_MS = 60_000;

function count(expected: number, indexes: number[]): Integrity {
  const distinct = new Set(indexes);
  let lost = 0;
  for (let index = 0; index < expected; index++) if (!distinct.has(index)) lost++;
  return { images: expected, lost, doubled: indexes.length - distinct.size };
}

const sum = (counts: Integrity[]): Integrity =>
  counts.reduce((total, next) => ({ images: total.images + next.images, lost: total.lost + next.lost, doubled: total.doubled + next.doubled }), { images: 0, lost: 0, doubled: 0 });

/**
 * Easel's jobs after their image webhooks: the image rows in D1 (`GET /api/jobs/:id`, read
 * before the completion, which would record an image whose own webhook was lost), then the
 * `completed` webhook, then one `image` event per index in a full SSE replay, and the job completed.
 */
export async function checkEasel(api: EaselClient, workerUrl: string, jobs: PlayedJob[]): Promise<Integrity & { notCompleted: number }> {
  const checked = await inPool(jobs, CHECKS_AT_ONCE, async (job) => {
    const expected = job.input.outputs.length;
    const rows = count(expected, (await api.jobs.get(job.jobId)).images.map((image) => image.index));
    const answer = await send(workerUrl, completedWebhook(job));
    await answer.arrayBuffer();
    if (!answer.ok) throw new Error(`the completed webhook of job ${job.jobId} answered ${answer.status}`);
    const events: number[] = [];
    for await (const event of api.jobs.events(job.jobId, { signal: AbortSignal.timeout(REPLAY_GIVE_UP_MS) })) {
      if (event.type === "image") events.push(event.data.index);
    }
    const replayed = count(expected, events);
    const status = (await api.jobs.get(job.jobId)).status;
    return { images: expected, lost: rows.lost, doubled: rows.doubled + replayed.doubled, notCompleted: status === "completed" ? 0 : 1 };
  });
  return { ...sum(checked), notCompleted: checked.reduce((total, job) => total + job.notCompleted, 0) };
}

/** The bare Worker's rows for the same jobs, in its Durable Objects and in its D1. */
export async function checkBare(bareUrl: string, jobs: PlayedJob[]): Promise<{ durableObject: Integrity; d1: Integrity }> {
  const checked = await inPool(jobs, CHECKS_AT_ONCE, async (job) => {
    const response = await fetch(`${bareUrl}/api/jobs/${job.jobId}`);
    if (!response.ok) throw new Error(`the bare Worker's rows of job ${job.jobId} answered ${response.status}`);
    const rows = (await response.json()) as { durableObject: number[]; d1: number[] };
    const expected = job.input.outputs.length;
    return { durableObject: count(expected, rows.durableObject), d1: count(expected, rows.d1) };
  });
  return { durableObject: sum(checked.map((job) => job.durableObject)), d1: sum(checked.map((job) => job.d1)) };
}
