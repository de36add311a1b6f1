import type { EaselClient, Job, JobEvent } from "@easel/client";
import { ProgressBoard } from "./progress-board.js";
import type { SampleFiles } from "./sample-images.js";

export type WatchedJob = { label: string; job: Job; events: JobEvent[] };

/** What a live event says on the job's progress bar: how far, and a note (undefined: nothing to show). */
function shown(event: JobEvent, expected: number, images: number): [percent: number, note: string] | undefined {
  switch (event.type) {
    case "progress":
      return [event.data.progress, event.data.message ?? "running"];
    case "image":
      return [(95 * images) / expected, `image ${images} of ${expected} delivered`];
    case "completed":
      return [100, `completed: ${event.data.images} images`];
    case "failed":
    case "canceled":
    case "timed_out":
      return [0, `${event.type}: ${event.data.error}`];
    default:
      return undefined;
  }
}

/** Follows a job's live events to their end, feeding its progress bar; returns the job as it ended. */
export async function watchJob(api: EaselClient, label: string, job: Job, board: ProgressBoard): Promise<WatchedJob> {
  const events: JobEvent[] = [];
  const expected = Number(job.input.num_images) || 1;
  let images = 0;
  for await (const event of api.jobs.events(job.id)) {
    events.push(event);
    if (event.type === "image") images += 1;
    const line = shown(event, expected, images);
    if (line) board.update(label, ...line);
  }
  return { label, job: await api.jobs.get(job.id), events };
}

/** The two demo jobs, submitted at once: a text-to-image job and a style transfer of the two sample files, uploaded. */
export async function runDemoJobs(api: EaselClient, samples: SampleFiles): Promise<WatchedJob[]> {
  const board = new ProgressBoard(["text-to-image", "style-transfer"]);
  const [style, content] = await Promise.all([api.uploads.upload(samples.style), api.uploads.upload(samples.content)]);
  const textToImage = await api.jobs.create({
    type: "text-to-image",
    input: { prompt: "a lighthouse on a cliff at dusk, oil painting", width: 512, height: 512, steps: 20, num_images: 2 },
  });
  const styleTransfer = await api.jobs.create({
    type: "style-transfer",
    input: { style_image: style.key, content_image: content.key, width: 512, height: 512, strength: 0.7, num_images: 2 },
  });
  return Promise.all([watchJob(api, "text-to-image", textToImage, board), watchJob(api, "style-transfer", styleTransfer, board)]);
}
