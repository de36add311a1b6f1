/** What the side-by-side bench measures, shared by its parts and its report (no Node imports: the report is unit-tested in workerd). */

/** `bareHeads`: the bare Worker makes the HEAD Easel must make (BENCH_BARE_HEAD=1). */
export type IngestSizes = { jobs: number; imagesPerJob: number; repeats: number; levels: number[]; bareHeads: boolean };
export type VisibilitySizes = { jobs: number; imagesPerJob: number };
export type ListingSizes = { jobs: number; imagesPerJob: number; requests: number };
export type BenchSizes = { ingest: IngestSizes; visibility: VisibilitySizes; listing: ListingSizes };

export type TargetName = "easel" | "bare";

/** Images a run should have recorded, and how many of them were missing or recorded more than once. */
export type Integrity = { images: number; lost: number; doubled: number };

export type RunFigures = {
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** How many answers said what: `applied`, `duplicate`, `kept`, an error code. */
  results: Record<string, number>;
  cpuMs: number;
  cpuMsPerWebhook: number;
  /** CPU of everything the bench did not start, during the run, in % of one core. */
  othersCpuPercent: number;
};

export type IngestRun = {
  concurrency: number;
  repeat: number;
  first: TargetName;
  easel: RunFigures;
  bare: RunFigures;
  easelIntegrity: Integrity & { notCompleted: number };
  bareIntegrity: { durableObject: Integrity; d1: Integrity };
};

/** Per image, in ms: the bare PUT of the same bytes, the handler's PUT, and from that PUT done to the webhook's answer and to the SSE `image` event. */
export type VisibilitySample = { barePutMs: number; imagePutMs: number; answeredMs: number; visibleMs: number; bareFirst: boolean };

export type ListingFigures = { jobs: number; imagesPerJob: number; listedJobs: number; bytes: number; timesMs: number[] };

export type SideBySide = { sizes: BenchSizes; ingest: IngestRun[]; visibility: VisibilitySample[]; listing: ListingFigures };
