import type { EaselClient } from "../../node.js";
import type { CreateJobInput, Job } from "../../types.js";
import { UsageError } from "../config.js";
import { saveImage } from "../output.js";
import { progressFor } from "../progress.js";
import type { Flags } from "../flags.js";

const number = (flags: Flags, name: keyof Flags) => {
  const value = flags[name];
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new UsageError(`--${name} takes a number, not ${JSON.stringify(value)}`);
  return parsed;
};

function generation(flags: Flags) {
  return Object.fromEntries(
    Object.entries({
      prompt: flags.prompt,
      negative_prompt: flags["negative-prompt"],
      width: number(flags, "width"),
      height: number(flags, "height"),
      steps: number(flags, "steps"),
      seed: number(flags, "seed"),
      num_images: number(flags, "num-images"),
    }).filter(([, value]) => value !== undefined),
  );
}

/** `easel run text-to-image|style-transfer …`: creates the job, shows its live progress, saves each image as it lands. */
export async function run(easel: EaselClient, type: string | undefined, flags: Flags): Promise<number> {
  if (!flags.out) throw new UsageError("--out DIR: where to save the images");
  let request: CreateJobInput;
  if (type === "text-to-image") {
    if (!flags.prompt) throw new UsageError("--prompt is required for text-to-image");
    request = { type, input: { prompt: flags.prompt, ...generation(flags) } };
  } else if (type === "style-transfer") {
    if (!flags.style || !flags.content) throw new UsageError("--style FILE and --content FILE are required for style-transfer");
    const [style, content] = await Promise.all([easel.uploads.upload(flags.style), easel.uploads.upload(flags.content)]);
    const strength = number(flags, "strength");
    request = { type, input: { ...generation(flags), style_image: style.key, content_image: content.key, ...(strength === undefined ? {} : { strength }) } };
  } else {
    throw new UsageError("run what? easel run text-to-image … or easel run style-transfer …");
  }
  if (flags.webhook) request = { ...request, webhook: flags.webhook };

  const job = await easel.jobs.create(request);
  const progress = progressFor(job.id, Number(job.input.num_images ?? 1));
  const saved = new Map<number, string>();
  try {
    for await (const event of easel.jobs.events(job.id)) {
      progress.event(event);
      if (event.type === "image") saved.set(event.data.index, await saveImage(flags.out, job.id, event.data));
    }
  } finally {
    progress.stop();
  }
  const ended = await easel.jobs.get(job.id);
  // An image whose event came before this stream opened is saved from the job's own view.
  for (const image of ended.images) if (!saved.has(image.index)) saved.set(image.index, await saveImage(flags.out, job.id, image));
  report(ended, [...saved.entries()].sort(([a], [b]) => a - b).map(([, path]) => path));
  return ended.status === "completed" ? 0 : 1;
}

function report(job: Job, paths: string[]) {
  console.log(`${job.id} ${job.status}${job.error ? `: ${job.error}` : ""}`);
  for (const path of paths) console.log(path);
}
