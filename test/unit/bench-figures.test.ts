import { describe, expect, it } from "vitest";
import { figures } from "../../scripts/bench/side-by-side/report.js";
import { benchSizes } from "../../scripts/bench/side-by-side/sizes.js";
import type { IngestRun, RunFigures, SideBySide } from "../../scripts/bench/side-by-side/types.js";

const clean = { images: 8, lost: 0, doubled: 0 };

function target(rps: number, p99Ms: number, cpuMs: number): RunFigures {
  return { requests: 8, rps, p50Ms: p99Ms / 2, p99Ms, non2xx: 0, results: { applied: 8 }, cpuMs, cpuMsPerWebhook: cpuMs / 8, othersCpuPercent: 0 };
}

function run(concurrency: number, easel: RunFigures, bare: RunFigures, lost = 0, doubled = 0): IngestRun {
  return { concurrency, repeat: 1, first: "easel", easel, bare, easelIntegrity: { images: 8, lost, doubled, notCompleted: 0 }, bareIntegrity: { durableObject: clean, d1: clean } };
}

describe("the side-by-side bench's sizes", () => {
  it("default to the performance review's, and a smoke run sets fewer", () => {
    expect(benchSizes({})).toEqual({
      ingest: { jobs: 50, imagesPerJob: 8, repeats: 3, levels: [1, 16, 64], bareHeads: false },
      visibility: { jobs: 12, imagesPerJob: 8 },
      listing: { jobs: 100, imagesPerJob: 8, requests: 5 },
    });
    const smoke = benchSizes({ BENCH_JOBS: "5", BENCH_REPEATS: "1", BENCH_LEVELS: "16, 64", BENCH_VISIBILITY_JOBS: "1" });
    expect(smoke.ingest).toEqual({ jobs: 5, imagesPerJob: 8, repeats: 1, levels: [16, 64], bareHeads: false });
    expect(benchSizes({ BENCH_BARE_HEAD: "1" }).ingest.bareHeads).toBe(true);
    expect(smoke.visibility.jobs).toBe(1);
  });

  it.each([
    [{ BENCH_JOBS: "0" }, /BENCH_JOBS must be a whole number from 1/],
    [{ BENCH_JOBS: "five" }, /BENCH_JOBS .* not "five"/],
    [{ BENCH_REPEATS: "1.5" }, /BENCH_REPEATS must be a whole number/],
    [{ BENCH_IMAGES: "9" }, /BENCH_IMAGES must be a whole number from 1 to 8/],
    [{ BENCH_LEVELS: "1,x" }, /BENCH_LEVELS must be concurrency levels/],
    [{ BENCH_LEVELS: "0" }, /BENCH_LEVELS must be concurrency levels/],
    [{ BENCH_BARE_HEAD: "yes" }, /BENCH_BARE_HEAD must be 1 or 0 .* not "yes"/],
  ])("refuses %o with a message naming the setting", (env, message) => {
    expect(() => benchSizes(env)).toThrow(message);
  });
});

describe("docs/benchmarks.json", () => {
  const result: SideBySide = {
    sizes: benchSizes({}),
    ingest: [
      run(1, target(50, 30, 80), target(100, 15, 40)),
      run(16, target(100, 300, 80), target(200, 100, 40), 1, 0),
      run(16, target(150, 200, 80), target(150, 200, 40), 0, 2),
      run(16, target(90, 120, 80), target(100, 100, 40)),
      run(64, target(300, 400, 40), target(200, 800, 40)),
      run(64, target(100, 400, 40), target(200, 400, 40)),
    ],
    visibility: [
      { barePutMs: 10, imagePutMs: 10, answeredMs: 14, visibleMs: 12, bareFirst: true },
      { barePutMs: 6, imagePutMs: 7, answeredMs: 20, visibleMs: 18, bareFirst: false },
      { barePutMs: 8, imagePutMs: 9, answeredMs: 17, visibleMs: 16, bareFirst: true },
    ],
    listing: { jobs: 100, imagesPerJob: 8, listedJobs: 100, bytes: 123_456, timesMs: [40, 50] },
  };

  it("has issue 13's shape, ratios Easel / bare as the median over repeats (of two: their mean), CPU pooled over every run", () => {
    expect(figures(result)).toEqual({
      ingest: {
        c16: { rps_ratio: 0.9, p99_ratio: 1.2 },
        c64: { rps_ratio: 1, p99_ratio: 0.75 },
        cpu_ms_per_webhook: { easel: 8.333, bare: 5 },
        lost: 1,
        doubled: 2,
      },
      visibility: { median_ratio_to_bare_put: 2 },
      list_100_jobs_bytes: 123_456,
    });
  });

  it("says null for a level the run did not measure", () => {
    const only16 = { ...result, ingest: result.ingest.filter((entry) => entry.concurrency === 16) };
    expect(figures(only16).ingest.c64).toEqual({ rps_ratio: null, p99_ratio: null });
  });
});
