import { randomUUID } from "node:crypto";
import type { EaselClient } from "@easel/client";
import { AwsClient } from "aws4fetch";
import { pngBytes } from "../../../test/helpers/images.js";
import type { Stack } from "../../stack/stack.js";
import { completedWebhook, imageWebhook, putImage, send, type JobMaker } from "./handler-play.js";
import type { VisibilitySample, VisibilitySizes } from "./types.js";


// The performance review's 1 MB, 1024x1024 PNG.
const IMAGE = { width: 1024, height: 1024, bytes: 1_053_196 };
const UPLOAD_SECONDS = 900;
// Only so that an event that never comes stops the bench with an error instead of hanging it.
const GIVE_UP_MS = 60_000;

/** Where a live client's `image` events arrive, by index, on the bench's clock. */
class ImageEvents {
  private readonly arrived = new Map<number, number>();
  private readonly waiting = new Map<number, (at: number) => void>();

  record(index: number, at: number) {
    this.arrived.set(index, at);
    this.waiting.get(index)?.(at);
  }

  at(index: number): Promise<number> {
    const at = this.arrived.get(index);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const giveUp = setTimeout(() => reject(new Error(`no image event for index ${index} within ${GIVE_UP_MS / 1000} s`)), GIVE_UP_MS);
      this.waiting.set(index, (arrived) => {
        clearTimeout(giveUp);
        resolve(arrived);
      });
    });
  }
}

/** A live client of the job's events, connected (the stream open at the JobAssembler) when this resolves. */
async function watchImages(api: EaselClient, jobId: string): Promise<{ events: ImageEvents; ended: Promise<void> }> {
  const events = new ImageEvents();
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const ended = (async () => {
    for await (const event of api.jobs.events(jobId, { onOpen: opened })) {
      if (event.type === "image") events.record(event.data.index, performance.now());
    }
  })();
  // Awaited once the job is done; a stream that breaks earlier must not count as an unhandled rejection meanwhile.
  ended.catch(() => undefined);
  await Promise.race([open, ended]);
  return { events, ended };
}

/** A presigned PUT of a scratch key, straight to the S3 server: what the image's own PUT is compared with. */
function barePresigner(stack: Stack) {
  const client = new AwsClient({ ...stack.store.credentials, service: "s3", region: stack.store.region });
  return async (bytes: Uint8Array<ArrayBuffer>): Promise<number> => {
    const url = `${stack.store.endpoint}/${stack.store.bucket}/bench/bare-put/${randomUUID()}.png?X-Amz-Expires=${UPLOAD_SECONDS}`;
    const headers = { "content-type": "image/png" };
    const signed = await client.sign(url, { method: "PUT", headers, aws: { signQuery: true, allHeaders: true } });
    const started = performance.now();
    const put = await fetch(signed.url, { method: "PUT", headers, body: bytes });
    await put.arrayBuffer();
    if (!put.ok) throw new Error(`the bare PUT answered ${put.status}`);
    return performance.now() - started;
  };
}

/**
 * For each image: a client is already watching `GET /api/jobs/:id/events`; the bench PUTs the
 * bytes to the image's presigned URL, then sends the signed `image` webhook, and times PUT done →
 * the `image` event at the client, beside a bare presigned PUT of the same bytes (before or after
 * it, alternately). One image at a time, nothing else running.
 */
export async function runVisibility(sizes: VisibilitySizes, stack: Stack, maker: JobMaker): Promise<VisibilitySample[]> {
  const bytes = pngBytes(IMAGE.width, IMAGE.height, IMAGE.bytes);
  const barePut = barePresigner(stack);
  const samples: VisibilitySample[] = [];
  for (let jobNumber = 0; jobNumber < sizes.jobs; jobNumber++) {
    const job = await maker.make(sizes.imagesPerJob, IMAGE.width, IMAGE.height);
    const { events, ended } = await watchImages(await maker.api(), job.jobId);
    for (let index = 0; index < sizes.imagesPerJob; index++) {
      const bareFirst = (jobNumber * sizes.imagesPerJob + index) % 2 === 0;
      const bareBefore = bareFirst ? await barePut(bytes) : undefined;
      const putStarted = performance.now();
      await putImage(job, index, bytes, IMAGE.width, IMAGE.height);
      const putDone = performance.now();
      const answer = await send(stack.workerUrl, imageWebhook(job, index));
      await answer.arrayBuffer();
      const answered = performance.now();
      if (!answer.ok) throw new Error(`the image webhook of job ${job.jobId} answered ${answer.status}`);
      const visible = await events.at(index);
      const barePutMs = bareBefore ?? (await barePut(bytes));
      samples.push({ barePutMs, imagePutMs: putDone - putStarted, answeredMs: answered - putDone, visibleMs: visible - putDone, bareFirst });
    }
    const finished = await send(stack.workerUrl, completedWebhook(job));
    await finished.arrayBuffer();
    await ended;
  }
  return samples;
}
