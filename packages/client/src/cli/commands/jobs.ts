import type { EaselClient } from "../../node.js";
import type { JobSummary } from "../../types.js";
import { UsageError } from "../config.js";
import type { Flags } from "../flags.js";
import { duration, print, table, timestamp } from "../output.js";
import { progressFor } from "../progress.js";

export async function jobs(easel: EaselClient, action: string | undefined, id: string | undefined, flags: Flags): Promise<number> {
  switch (action) {
    case "list":
      return list(easel, flags);
    case "get":
      print(await easel.jobs.get(required(id)));
      return 0;
    case "cancel": {
      const job = await easel.jobs.cancel(required(id));
      console.log(`${job.id} ${job.status}`);
      return 0;
    }
    case "watch":
      return watch(easel, required(id), flags);
    default:
      throw new UsageError("jobs what? list, get ID, watch ID or cancel ID");
  }
}

const required = (id: string | undefined) => {
  if (!id) throw new UsageError("which job? give its id");
  return id;
};

async function list(easel: EaselClient, flags: Flags): Promise<number> {
  const query = {
    ...(flags.status ? { status: flags.status as JobSummary["status"] } : {}),
    ...(flags.type ? { type: flags.type as JobSummary["type"] } : {}),
    limit: Math.min(100, Number(flags.limit ?? 20)),
  };
  const found: JobSummary[] = [];
  if (flags.all) for await (const job of easel.jobs.list(query)) found.push(job);
  else found.push(...(await easel.jobs.page(query)).jobs);
  if (flags.json) {
    print(found);
    return 0;
  }
  console.log(table(["id", "type", "status", "images", "created", "total"], found.map((job) => [
    job.id, job.type, job.status, job.images.length, timestamp(job.createdAt), duration(job.metrics.total_ms),
  ])));
  return 0;
}

/** Live events of a job, as a bar on a terminal or one line each elsewhere; exit 0 when it completed. */
async function watch(easel: EaselClient, id: string, flags: Flags): Promise<number> {
  const job = await easel.jobs.get(id);
  const progress = progressFor(id, Number(job.input.num_images ?? 1));
  let last = job.status as string;
  try {
    for await (const event of easel.jobs.events(id)) {
      if (flags.json) console.log(JSON.stringify(event));
      else progress.event(event);
      if (event.type === "end") last = event.data.status;
    }
  } finally {
    progress.stop();
  }
  return last === "completed" ? 0 : 1;
}
