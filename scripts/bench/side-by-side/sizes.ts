import type { BenchSizes } from "./types.js";

/**
 * The bench's sizes, from the environment; the defaults are the performance review's. A quick
 * smoke run: BENCH_JOBS=5 BENCH_REPEATS=1 BENCH_VISIBILITY_JOBS=1 npm run bench.
 */
export const SIZE_SETTINGS = {
  BENCH_JOBS: "jobs per ingest run (50)",
  BENCH_IMAGES: "images per job, at most 8 (8)",
  BENCH_REPEATS: "repeats of every concurrency level (3)",
  BENCH_LEVELS: "concurrency levels, comma-separated (1,16,64)",
  BENCH_VISIBILITY_JOBS: "jobs in the visibility bench, each of BENCH_IMAGES images (12)",
  BENCH_LIST_JOBS: "jobs of the owner whose first 100 are listed (100)",
  BENCH_LIST_REQUESTS: "times the listing is requested (5)",
  BENCH_PRIMITIVE_REQUESTS: "requests per route and repeat in the Worker primitives bench (1000)",
  BENCH_BARE_HEAD: "1: the bare Worker also makes the HEAD of each announced object that Easel must make (off)",
} as const;

type Setting = keyof typeof SIZE_SETTINGS;
type Environment = Record<string, string | undefined>;

function count(env: Environment, name: Setting, fallback: number, max = 100_000): number {
  const text = env[name]?.trim();
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > max) throw new Error(`${name} must be a whole number from 1 to ${max} (${SIZE_SETTINGS[name]}), not "${text}"`);
  return value;
}

function flag(env: Environment, name: Setting): boolean {
  const text = env[name]?.trim();
  if (text === undefined || text === "" || text === "0") return false;
  if (text === "1") return true;
  throw new Error(`${name} must be 1 or 0 (${SIZE_SETTINGS[name]}), not "${text}"`);
}

function levels(env: Environment): number[] {
  const text = env.BENCH_LEVELS?.trim();
  if (text === undefined || text === "") return [1, 16, 64];
  const parts = text.split(",").map((part) => part.trim());
  if (!parts.every((part) => /^\d+$/.test(part) && Number(part) >= 1 && Number(part) <= 1024)) {
    throw new Error(`BENCH_LEVELS must be concurrency levels from 1 to 1024, comma-separated (${SIZE_SETTINGS.BENCH_LEVELS}), not "${text}"`);
  }
  return [...new Set(parts.map(Number))];
}

export function benchSizes(env: Environment): BenchSizes {
  const imagesPerJob = count(env, "BENCH_IMAGES", 8, 8);
  return {
    ingest: {
      jobs: count(env, "BENCH_JOBS", 50), imagesPerJob, repeats: count(env, "BENCH_REPEATS", 3), levels: levels(env),
      bareHeads: flag(env, "BENCH_BARE_HEAD"),
    },
    visibility: { jobs: count(env, "BENCH_VISIBILITY_JOBS", 12), imagesPerJob },
    listing: { jobs: count(env, "BENCH_LIST_JOBS", 100), imagesPerJob, requests: count(env, "BENCH_LIST_REQUESTS", 5) },
  };
}

/** Requests per route and repeat of the Worker primitives bench (scripts/bench/primitives). */
export const primitiveRequests = (env: Environment) => count(env, "BENCH_PRIMITIVE_REQUESTS", 1000);
