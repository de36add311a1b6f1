import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { REPO_ROOT } from "../../stack/paths.js";
import { runBench } from "../run-bench.js";
import { waitForD1 } from "../side-by-side/d1-caught-up.js";
import { JobMaker } from "../side-by-side/handler-play.js";
import { prepare } from "../side-by-side/ingest.js";
import { LoadDriver } from "../side-by-side/load.js";
import { startEasel, type Easel } from "../side-by-side/targets.js";
import { attribute, type Attribution, type Share } from "./attribution.js";
import { InspectorSession } from "./inspector.js";

/**
 * Where the Worker's CPU goes per image webhook: a V8 CPU profile of the Worker's isolate (routes
 * and JobAssemblers) while it takes the side-by-side bench's signed `image` webhooks, and the D1
 * batches it writes after them. Prints markdown; the profile itself opens in Chrome's DevTools.
 *
 *     tsx scripts/bench/profile/main.ts      (PROFILE_JOBS jobs of 8 images, 50; PROFILE_CONCURRENCY, 16)
 */

const PROFILE_FILE = join(REPO_ROOT, ".easel", "bench", "ingest.cpuprofile");
const WARM_UP_JOBS = 10;
const IMAGES_PER_JOB = 8;
const TOP = 15;
const SAMPLING_INTERVAL_US = 200;
// Twice the JobAssembler's D1 delay (D1_WRITE_DELAY_MS, workers/assembler/d1-sync.ts): its batches land inside the profile.
const D1_CATCH_UP_MS = 2_000;

function setting(name: string, fallback: number): number {
  const text = process.env[name]?.trim();
  if (!text) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 10_000) {
    console.error(`bench: ${name} must be a whole number from 1 to 10000, not "${text}"`);
    process.exit(2);
  }
  return Number(text);
}

const jobs = setting("PROFILE_JOBS", 50);
const concurrency = setting("PROFILE_CONCURRENCY", 16);
const progress = (message: string) => console.error(`bench: ${message}`);

const stateDir = mkdtempSync(join(tmpdir(), "easel-profile-"));
const driver = new LoadDriver();
let easel: Easel | undefined;
const stopEverything = async () => {
  await easel?.stop();
  await driver.close();
};

function table(shares: Share[], webhooks: number, busyUs: number, label: string): string {
  const rows = shares.slice(0, TOP).map(({ name, us }) => `| ${name} | ${(us / 1000 / webhooks).toFixed(3)} | ${((100 * us) / busyUs).toFixed(1)}% |`);
  return [`| ${label} | ms per webhook | share of busy |`, "| --- | ---: | ---: |", ...rows].join("\n");
}

function markdown(attribution: Attribution, webhooks: number): string {
  const busyMs = attribution.busyUs / 1000;
  return [
    `${jobs} jobs × ${IMAGES_PER_JOB} signed \`image\` webhooks at concurrency ${concurrency} (objects already in the bucket), then the D1 batches written after them; ` +
      `the isolate's busy time sampled every ${SAMPLING_INTERVAL_US} µs (profiling slows it down, and the sampler stops while the thread is out of the isolate, in workerd's own I/O: ` +
      `the shares count, not the absolute times, which the side-by-side bench measures for whole processes). ` +
      `Sampled busy time: ${busyMs.toFixed(0)} ms, ${(busyMs / webhooks).toFixed(2)} ms per webhook. The profile: \`.easel/bench/ingest.cpuprofile\` (Chrome DevTools, Performance).`,
    "",
    "Self time by module (Easel's files one by one, packages as a whole):",
    "",
    table(attribution.byModule, webhooks, attribution.busyUs, "module"),
    "",
    "Easel's functions, inclusive time (with what they call):",
    "",
    table(attribution.byEaselFunction, webhooks, attribution.busyUs, "function (module)"),
  ].join("\n");
}

async function measure(): Promise<string> {
  progress("starting Easel's local stack");
  easel = await startEasel(stateDir);
  const { stack, runpodUrl } = easel;
  const maker = new JobMaker(stack.workerUrl, stack.secrets.ADMIN_TOKEN, "bench-profile", runpodUrl);
  const api = await maker.api();

  const warmUp = await prepare(maker, { jobs: WARM_UP_JOBS, imagesPerJob: IMAGES_PER_JOB, repeats: 1, levels: [concurrency] });
  await driver.run({ baseUrl: stack.workerUrl, requests: warmUp.requests, concurrency });
  const { jobs: played, requests } = await prepare(maker, { jobs, imagesPerJob: IMAGES_PER_JOB, repeats: 1, levels: [concurrency] });
  await waitForD1(api, warmUp.jobs, IMAGES_PER_JOB);

  progress(`profiling ${requests.length} image webhooks at concurrency ${concurrency}`);
  const session = await InspectorSession.open(stack.inspectorPort);
  try {
    const profile = await session.profile(async () => {
      const run = await driver.run({ baseUrl: stack.workerUrl, requests, concurrency });
      const failed = run.statuses.filter((status) => status < 200 || status > 299).length;
      if (failed) throw new Error(`${failed} of ${requests.length} webhooks were not answered 2xx`);
      // The D1 batches the JobAssemblers write after their answers belong to the webhooks' cost.
      await sleep(D1_CATCH_UP_MS);
    }, SAMPLING_INTERVAL_US);
    await waitForD1(api, played, IMAGES_PER_JOB);
    mkdirSync(join(REPO_ROOT, ".easel", "bench"), { recursive: true });
    writeFileSync(PROFILE_FILE, JSON.stringify(profile));
    const scripts = new Set(profile.nodes.map((node) => node.callFrame.scriptId).filter((id) => id !== "0"));
    return markdown(attribute(profile, await session.sources(scripts), SAMPLING_INTERVAL_US), requests.length);
  } finally {
    session.close();
  }
}

await runBench({ stateDirs: [stateDir], measure, publish: (report) => console.log(report), stop: stopEverything });
