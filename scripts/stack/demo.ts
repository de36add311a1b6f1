import type { EaselClient, Job, JobEvent } from "./easel-client.js";
import { ProgressBoard } from "./progress-board.js";
import { contentImage, styleImage } from "./sample-images.js";

export type WatchedJob = { label: string; job: Job; events: JobEvent[] };

/** Follows a job's live events to its end, feeding its progress bar; returns the job as it ended. */
export async function watchJob(api: EaselClient, label: string, job: Job, board: ProgressBoard): Promise<WatchedJob> {
  const events: JobEvent[] = [];
  const expected = Number(job.input.num_images) || 1;
  let images = 0;
  for await (const event of api.events(job.id)) {
    events.push(event);
    const { payload } = event;
    if (event.event === "progress") {
      board.update(label, Number(payload.progress), typeof payload.message === "string" ? payload.message : "running");
    } else if (event.event === "image") {
      images += 1;
      board.update(label, (95 * images) / expected, `image ${images} of ${expected} delivered`);
    } else if (event.event === "completed") {
      board.update(label, 100, `completed: ${String(payload.images)} images`);
    } else if (["failed", "canceled", "timed_out"].includes(event.event)) {
      board.update(label, 0, `${event.event}: ${String(payload.error)}`);
    }
  }
  return { label, job: await api.getJob(job.id), events };
}

/** The two demo jobs, submitted at once: a text-to-image job and a style transfer of uploaded images. */
export async function runDemoJobs(api: EaselClient): Promise<WatchedJob[]> {
  const board = new ProgressBoard(["text-to-image", "style-transfer"]);
  const [styleKey, contentKey] = await Promise.all([api.upload(styleImage(), "image/png"), api.upload(contentImage(), "image/png")]);
  const textToImage = await api.createJob({
    type: "text-to-image",
    input: { prompt: "a lighthouse on a cliff at dusk, oil painting", width: 512, height: 512, steps: 20, num_images: 2 },
  });
  const styleTransfer = await api.createJob({
    type: "style-transfer",
    input: { style_image: styleKey, content_image: contentKey, width: 512, height: 512, strength: 0.7, num_images: 2 },
  });
  return Promise.all([watchJob(api, "text-to-image", textToImage, board), watchJob(api, "style-transfer", styleTransfer, board)]);
}
