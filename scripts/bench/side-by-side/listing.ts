import { pngBytes } from "../../../test/helpers/images.js";
import { completedWebhook, imageWebhook, putImage, send, type JobMaker, type WebhookRequest } from "./handler-play.js";
import { inPool } from "./pool.js";
import type { ListingFigures, ListingSizes } from "./types.js";


const IMAGE = { width: 512, height: 512, bytes: 32_717 };
const SETUP_AT_ONCE = 4;
const PAGE = 100;

async function sendOk(workerUrl: string, request: WebhookRequest): Promise<void> {
  const answer = await send(workerUrl, request);
  await answer.arrayBuffer();
  if (!answer.ok) throw new Error(`a listing job's webhook answered ${answer.status}`);
}

/** One owner's completed jobs with all their images, then `GET /api/jobs?limit=100` as that owner: its bytes and time. */
export async function runListing(sizes: ListingSizes, workerUrl: string, maker: JobMaker): Promise<ListingFigures> {
  const bytes = pngBytes(IMAGE.width, IMAGE.height, IMAGE.bytes);
  await inPool(Array.from({ length: sizes.jobs }), SETUP_AT_ONCE, async () => {
    const job = await maker.make(sizes.imagesPerJob, IMAGE.width, IMAGE.height);
    for (let index = 0; index < sizes.imagesPerJob; index++) {
      await putImage(job, index, bytes, IMAGE.width, IMAGE.height);
      await sendOk(workerUrl, imageWebhook(job, index));
    }
    await sendOk(workerUrl, completedWebhook(job));
  });
  const authorization = await maker.authorization();
  const timesMs: number[] = [];
  let body = "";
  for (let request = 0; request < sizes.requests; request++) {
    const started = performance.now();
    const response = await fetch(`${workerUrl}/api/jobs?limit=${PAGE}`, { headers: { authorization } });
    body = await response.text();
    timesMs.push(performance.now() - started);
    if (response.status !== 200) throw new Error(`GET /api/jobs?limit=${PAGE} answered ${response.status}`);
  }
  const listed = (JSON.parse(body) as { jobs: unknown[] }).jobs.length;
  return { jobs: sizes.jobs, imagesPerJob: sizes.imagesPerJob, listedJobs: listed, bytes: Buffer.byteLength(body), timesMs };
}
