import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBench } from "../run-bench.js";
import { JobMaker } from "./handler-play.js";
import { runIngest } from "./ingest.js";
import { runListing } from "./listing.js";
import { LoadDriver } from "./load.js";
import { figures, markdown } from "./report.js";
import { benchSizes } from "./sizes.js";
import { startBare, startEasel, type Bare, type Easel } from "./targets.js";
import type { BenchSizes, SideBySide } from "./types.js";
import { runVisibility } from "./visibility.js";

/**
 * Easel's local stack and the bare Worker, side by side in one run: webhook ingest at each
 * concurrency level, visibility latency, listing cost. Prints markdown on stdout, progress on
 * stderr, and writes the figures of docs/benchmarks.json to the path given.
 *
 *     tsx scripts/bench/side-by-side/main.ts FIGURES.json
 */

const progress = (message: string) => console.error(`bench: ${message}`);

const figuresPath = process.argv[2];
if (!figuresPath) {
  console.error("usage: tsx scripts/bench/side-by-side/main.ts FIGURES.json");
  process.exit(2);
}
let sizes: BenchSizes;
try {
  sizes = benchSizes(process.env);
} catch (error) {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(2);
}

const easelDir = mkdtempSync(join(tmpdir(), "easel-bench-"));
const bareDir = mkdtempSync(join(tmpdir(), "easel-bench-bare-"));
let easel: Easel | undefined;
let bare: Bare | undefined;
const driver = new LoadDriver();

async function stopEverything(): Promise<void> {
  await Promise.allSettled([easel?.stop(), bare?.stop()]);
  await driver.close();
}

async function measure(): Promise<SideBySide> {
  progress("starting Easel's local stack and the bare Worker");
  if (sizes.ingest.bareHeads) {
    // The bare Worker HEADs in Easel's bucket, where the bench puts the objects: Easel comes first.
    easel = await startEasel(easelDir);
    bare = await startBare(bareDir, easel.stack.store);
  } else {
    const [easelStart, bareStart] = await Promise.allSettled([startEasel(easelDir), startBare(bareDir)]);
    if (easelStart.status === "fulfilled") easel = easelStart.value;
    if (bareStart.status === "fulfilled") bare = bareStart.value;
    if (easelStart.status === "rejected") throw easelStart.reason;
    if (bareStart.status === "rejected") throw bareStart.reason;
  }
  const { stack, runpodUrl } = easel!;
  const maker = (owner: string) => new JobMaker(stack.workerUrl, stack.secrets.ADMIN_TOKEN, owner, runpodUrl);

  const ingest = await runIngest(sizes.ingest, { easel: easel!.target, bare: bare!.target }, maker("bench-ingest"), driver, progress);
  progress("visibility");
  const visibility = await runVisibility(sizes.visibility, stack, maker("bench-visibility"));
  progress("listing");
  const listing = await runListing(sizes.listing, stack.workerUrl, maker("bench-listing"));
  return { sizes, ingest, visibility, listing };
}

await runBench({
  stateDirs: [easelDir, bareDir],
  measure,
  publish: (result) => {
    writeFileSync(figuresPath, `${JSON.stringify(figures(result), null, 2)}\n`);
    console.log(markdown(result));
  },
  stop: stopEverything,
});
