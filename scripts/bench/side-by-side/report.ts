import { fixed, median, percentile, round } from "./stats.js";
import type { IngestRun, SideBySide } from "./types.js";

/** docs/benchmarks.json, in issue 13's shape; every ratio is Easel / bare. */
export type Figures = {
  ingest: {
    c16: { rps_ratio: number | null; p99_ratio: number | null };
    c64: { rps_ratio: number | null; p99_ratio: number | null };
    cpu_ms_per_webhook: { easel: number | null; bare: number | null };
    lost: number;
    doubled: number;
  };
  visibility: { median_ratio_to_bare_put: number | null };
  list_100_jobs_bytes: number;
};

const atLevel = (runs: IngestRun[], concurrency: number) => runs.filter((run) => run.concurrency === concurrency);
const rpsRatio = (run: IngestRun) => run.easel.rps / run.bare.rps;
const p50Ratio = (run: IngestRun) => run.easel.p50Ms / run.bare.p50Ms;
const p99Ratio = (run: IngestRun) => run.easel.p99Ms / run.bare.p99Ms;

/** CPU ms per webhook over every run of a target: all ticks over all webhooks, so 10 ms ticks average out. */
function pooledCpuMs(runs: IngestRun[], target: "easel" | "bare"): number {
  const cpu = runs.reduce((total, run) => total + run[target].cpuMs, 0);
  const webhooks = runs.reduce((total, run) => total + run[target].requests, 0);
  return cpu / webhooks;
}

const easelLost = (runs: IngestRun[]) => runs.reduce((total, run) => total + run.easelIntegrity.lost, 0);
const easelDoubled = (runs: IngestRun[]) => runs.reduce((total, run) => total + run.easelIntegrity.doubled, 0);

export function figures(result: SideBySide): Figures {
  const level = (concurrency: number) => {
    const runs = atLevel(result.ingest, concurrency);
    return { rps_ratio: round(median(runs.map(rpsRatio))), p99_ratio: round(median(runs.map(p99Ratio))) };
  };
  return {
    ingest: {
      c16: level(16),
      c64: level(64),
      cpu_ms_per_webhook: { easel: round(pooledCpuMs(result.ingest, "easel")), bare: round(pooledCpuMs(result.ingest, "bare")) },
      lost: easelLost(result.ingest),
      doubled: easelDoubled(result.ingest),
    },
    visibility: { median_ratio_to_bare_put: round(median(result.visibility.map((s) => s.visibleMs)) / median(result.visibility.map((s) => s.barePutMs))) },
    list_100_jobs_bytes: result.listing.bytes,
  };
}

const range = (values: number[]) => `**${fixed(median(values), 2)}** (${fixed(Math.min(...values), 2)}–${fixed(Math.max(...values), 2)})`;

function ingestTables(result: SideBySide): string[] {
  const { ingest: sizes } = result.sizes;
  const lines = [
    `Each run sends ${sizes.jobs} fresh jobs × ${sizes.imagesPerJob} signed \`image\` webhooks (image 0 of every job, then image 1, …) with the objects already in the bucket, each exactly once, from a closed loop of N connections; the same requests go to Easel and to the bare Worker back to back (Easel first on odd repeats), the levels' order rotating each repeat. CPU: utime+stime of each target's wrangler process tree (wrangler's node and its workerd) from /proc, from quiet before to quiet after the run; for Easel, "after" comes once D1 holds every image of the run (read from the listing, which reads D1 alone), so the batched D1 writes it makes after its answers are counted. Others' CPU: the machine's busy time outside the bench's processes, in % of one core. Lost/doubled: D1 rows (\`GET /api/jobs/:id\`) and one \`image\` event per index in an SSE replay after a \`completed\` webhook; the bare Worker's rows in its Durable Object and its D1.${sizes.bareHeads ? " This run's bare Worker also makes, in its Durable Object, the signed HEAD of each announced object that Easel must make (BENCH_BARE_HEAD=1)." : ""}`,
    "",
    "| conc | rep | first | Easel req/s | p50 ms | p99 ms | non-2xx | bare req/s | p50 ms | p99 ms | non-2xx | req/s E/B | p50 E/B | p99 E/B | CPU ms/webhook E / B | others' CPU % E / B | Easel lost / doubled | bare lost / doubled (DO, D1) |",
    "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const run of result.ingest) {
    const { easel, bare, easelIntegrity: e, bareIntegrity: b } = run;
    lines.push(
      `| ${run.concurrency} | ${run.repeat} | ${run.first} | ${fixed(easel.rps)} | ${fixed(easel.p50Ms)} | ${fixed(easel.p99Ms)} | ${easel.non2xx} | ${fixed(bare.rps)} | ${fixed(bare.p50Ms)} | ${fixed(bare.p99Ms)} | ${bare.non2xx} | ${fixed(rpsRatio(run), 2)} | ${fixed(p50Ratio(run), 2)} | ${fixed(p99Ratio(run), 2)} | ${fixed(easel.cpuMsPerWebhook, 2)} / ${fixed(bare.cpuMsPerWebhook, 2)} | ${fixed(easel.othersCpuPercent, 0)} / ${fixed(bare.othersCpuPercent, 0)} | ${e.lost} / ${e.doubled} | ${b.durableObject.lost + b.d1.lost} / ${b.durableObject.doubled + b.d1.doubled} |`,
    );
  }
  lines.push("", "Easel / bare, median across repeats (range):", "", "| conc | repeats | req/s | p50 | p99 | CPU ms/webhook Easel | CPU ms/webhook bare |", "| ---: | ---: | --- | --- | --- | ---: | ---: |");
  for (const concurrency of sizes.levels) {
    const runs = atLevel(result.ingest, concurrency);
    lines.push(
      `| ${concurrency} | ${runs.length} | ${range(runs.map(rpsRatio))} | ${range(runs.map(p50Ratio))} | ${range(runs.map(p99Ratio))} | ${fixed(pooledCpuMs(runs, "easel"), 2)} | ${fixed(pooledCpuMs(runs, "bare"), 2)} |`,
    );
  }
  const answers: Record<string, number> = {};
  for (const run of result.ingest) for (const [answer, count] of Object.entries(run.easel.results)) answers[answer] = (answers[answer] ?? 0) + count;
  const images = result.ingest.reduce((total, run) => total + run.easelIntegrity.images, 0);
  const notCompleted = result.ingest.reduce((total, run) => total + run.easelIntegrity.notCompleted, 0);
  lines.push(
    "",
    `Over all runs: workerd CPU per webhook **${fixed(pooledCpuMs(result.ingest, "easel"), 2)} ms** (Easel) vs **${fixed(pooledCpuMs(result.ingest, "bare"), 2)} ms** (bare); Easel lost **${easelLost(result.ingest)}** and doubled **${easelDoubled(result.ingest)}** of ${images} images, ${notCompleted} jobs not completed after their \`completed\` webhook; Easel's answers: ${Object.entries(answers).map(([answer, count]) => `${answer} ${count}`).join(", ")}.`,
  );
  return lines;
}

function visibilityTable(result: SideBySide): string[] {
  const samples = result.visibility;
  const row = (what: string, values: number[]) => `| ${what} | ${fixed(median(values))} | ${fixed(percentile(values, 0.9))} |`;
  const visible = samples.map((s) => s.visibleMs);
  const bare = samples.map((s) => s.barePutMs);
  return [
    `${samples.length} images of ${result.sizes.visibility.jobs} job${result.sizes.visibility.jobs === 1 ? "" : "s"}, a 1,053,196-byte PNG each, one at a time; a client is connected to \`GET /api/jobs/:id/events\` before the first. Per image: PUT to its presigned URL, then the signed \`image\` webhook; a bare presigned PUT of the same bytes to a scratch key runs just before or just after it, alternately.`,
    "",
    "| ms | median | p90 |",
    "| --- | ---: | ---: |",
    row("bare presigned PUT, same bytes", bare),
    row("the handler's presigned PUT", samples.map((s) => s.imagePutMs)),
    row("PUT done → webhook answered", samples.map((s) => s.answeredMs)),
    row("**PUT done → `image` event at the client**", visible),
    "",
    `PUT done → visible ÷ bare PUT (medians): **${fixed(median(visible) / median(bare), 2)}**.`,
  ];
}

function listingTable(result: SideBySide): string[] {
  const { listing } = result;
  return [
    `One owner with ${listing.jobs} completed jobs of ${listing.imagesPerJob} images; \`GET /api/jobs?limit=100\` ${listing.timesMs.length} times.`,
    "",
    "| jobs listed | bytes | median ms | p90 ms |",
    "| ---: | ---: | ---: | ---: |",
    `| ${listing.listedJobs} | ${listing.bytes.toLocaleString("en")} | ${fixed(median(listing.timesMs))} | ${fixed(percentile(listing.timesMs, 0.9))} |`,
  ];
}

export function markdown(result: SideBySide): string {
  return [
    "### Webhook ingest: Easel beside a bare Worker",
    "",
    ...ingestTables(result),
    "",
    "### Visibility: PUT done → `image` event at a live client",
    "",
    ...visibilityTable(result),
    "",
    "### Listing cost",
    "",
    ...listingTable(result),
  ].join("\n");
}
