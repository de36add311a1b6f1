import { pngBytes } from "../../../test/helpers/images.js";
import { imageWebhook, putImage, type JobMaker, type PlayedJob, type WebhookRequest } from "./handler-play.js";
import { waitForD1 } from "./d1-caught-up.js";
import { checkBare, checkEasel } from "./integrity.js";
import type { LoadDriver, LoadRun } from "./load.js";
import { inPool } from "./pool.js";
import { othersPercent, sampleCpu, treeCpuMs } from "./proc-cpu.js";
import { sampleWhenQuiet } from "./settle.js";
import { percentile } from "./stats.js";
import type { Target } from "./targets.js";
import type { IngestRun, IngestSizes, RunFigures } from "./types.js";

// The cpu engine's 512x512 PNG size from the performance review: the bytes sit in the bucket, only their metadata travels.
const IMAGE = { width: 512, height: 512, bytes: 32_717 };
const SETUP_AT_ONCE = 8;

/** Fresh jobs with every image already PUT, and their image webhooks: image 0 of every job, then image 1, and so on. */
export async function prepare(maker: JobMaker, sizes: Omit<IngestSizes, "bareHeads">): Promise<{ jobs: PlayedJob[]; requests: WebhookRequest[] }> {
  const bytes = pngBytes(IMAGE.width, IMAGE.height, IMAGE.bytes);
  const jobs = await inPool(Array.from({ length: sizes.jobs }), SETUP_AT_ONCE, async () => {
    const job = await maker.make(sizes.imagesPerJob, IMAGE.width, IMAGE.height);
    for (let index = 0; index < sizes.imagesPerJob; index++) await putImage(job, index, bytes, IMAGE.width, IMAGE.height);
    return job;
  });
  const requests: WebhookRequest[] = [];
  for (let index = 0; index < sizes.imagesPerJob; index++) for (const job of jobs) requests.push(imageWebhook(job, index));
  return { jobs, requests };
}

/** Creates the bare Worker's Durable Object for each job before the timed run, as Easel's exist from job creation. */
async function openBareJobs(bare: Target, jobs: PlayedJob[]): Promise<void> {
  await inPool(jobs, SETUP_AT_ONCE, async (job) => {
    const response = await fetch(`${bare.url}/api/jobs/${job.jobId}`, { method: "PUT" });
    if (response.status !== 204) throw new Error(`the bare Worker did not open job ${job.jobId}: ${response.status}`);
  });
}

function figures(run: LoadRun, cpuMs: number, othersCpuPercent: number): RunFigures {
  const results: Record<string, number> = {};
  for (const result of run.results) results[result] = (results[result] ?? 0) + 1;
  return {
    requests: run.latenciesMs.length,
    rps: (run.latenciesMs.length / run.wallMs) * 1000,
    p50Ms: percentile(run.latenciesMs, 0.5),
    p99Ms: percentile(run.latenciesMs, 0.99),
    non2xx: run.statuses.filter((status) => status < 200 || status > 299).length,
    results,
    cpuMs,
    cpuMsPerWebhook: cpuMs / run.latenciesMs.length,
    othersCpuPercent,
  };
}

/** `caughtUp`: resolves once the target has written what it defers past its answers, so the run's CPU includes it. */
async function timedRun(driver: LoadDriver, target: Target, requests: WebhookRequest[], concurrency: number, caughtUp?: () => Promise<void>): Promise<RunFigures> {
  const roots = { target: target.cpuRoot, bench: process.pid };
  const before = await sampleWhenQuiet(roots, "target");
  const run = await driver.run({ baseUrl: target.url, requests, concurrency });
  const end = sampleCpu(roots);
  await caughtUp?.();
  const after = await sampleWhenQuiet(roots, "target");
  return figures(run, treeCpuMs(before, after, "target"), othersPercent(before, end, "bench"));
}

/** Levels in the order a repeat runs them: rotated by one each repeat. */
const rotated = (levels: number[], repeat: number) => levels.map((_, position) => levels[(position + repeat) % levels.length]!);

/**
 * Each (repeat, level) sends the same signed image webhooks of fresh jobs to Easel and to the
 * bare Worker back to back, Easel first on even repeats, the bare Worker first on odd ones.
 */
export async function runIngest(
  sizes: IngestSizes,
  targets: { easel: Target; bare: Target },
  maker: JobMaker,
  driver: LoadDriver,
  progress: (message: string) => void,
): Promise<IngestRun[]> {
  const runs: IngestRun[] = [];
  for (let repeat = 1; repeat <= sizes.repeats; repeat++) {
    for (const concurrency of rotated(sizes.levels, repeat - 1)) {
      const { jobs, requests } = await prepare(maker, sizes);
      await openBareJobs(targets.bare, jobs);
      const order: Target[] = repeat % 2 === 1 ? [targets.easel, targets.bare] : [targets.bare, targets.easel];
      const measured: Partial<Record<Target["name"], RunFigures>> = {};
      const api = await maker.api();
      const easelCaughtUp = () => waitForD1(api, jobs, sizes.imagesPerJob);
      for (const target of order) {
        measured[target.name] = await timedRun(driver, target, requests, concurrency, target.name === "easel" ? easelCaughtUp : undefined);
      }
      const run: IngestRun = {
        concurrency,
        repeat,
        first: order[0]!.name,
        easel: measured.easel!,
        bare: measured.bare!,
        easelIntegrity: await checkEasel(await maker.api(), targets.easel.url, jobs),
        bareIntegrity: await checkBare(targets.bare.url, jobs),
      };
      runs.push(run);
      progress(
        `ingest c=${concurrency} repeat ${repeat}: Easel ${run.easel.rps.toFixed(0)} req/s, bare ${run.bare.rps.toFixed(0)} req/s; ` +
          `Easel lost ${run.easelIntegrity.lost}, doubled ${run.easelIntegrity.doubled}`,
      );
    }
  }
  return runs;
}
