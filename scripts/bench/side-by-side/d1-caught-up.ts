import { setTimeout as sleep } from "node:timers/promises";
import type { EaselClient } from "@easel/client";
import type { PlayedJob } from "./handler-play.js";

const PAGE = 100;
const LOOK_EVERY_MS = 250;
// Only so that an image that never reaches D1 stops the wait; the integrity check then counts it lost.
const GIVE_UP_MS = 30_000;

async function imagesInD1(api: EaselClient, wanted: Set<string>): Promise<number> {
  let found = 0;
  let seen = 0;
  for await (const job of api.jobs.list({ limit: PAGE })) {
    if (!wanted.has(job.id)) continue;
    found += job.images.length;
    if (++seen === wanted.size) break;
  }
  return found;
}

/**
 * Waits until D1 holds every image the run announced. Easel writes D1 a moment after its answers
 * (a batch for many deliveries); the listing reads D1 alone (a job view would ask the
 * JobAssembler to write first), so this sees the batches land and the run's CPU includes them.
 */
export async function waitForD1(api: EaselClient, jobs: PlayedJob[], imagesPerJob: number): Promise<void> {
  const wanted = new Set(jobs.map((job) => job.jobId));
  const deadline = performance.now() + GIVE_UP_MS;
  while ((await imagesInD1(api, wanted)) < wanted.size * imagesPerJob && performance.now() < deadline) {
    await sleep(LOOK_EVERY_MS);
  }
}
