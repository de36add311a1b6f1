import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBench } from "../run-bench.js";
import { primitiveRequests } from "../side-by-side/sizes.js";
import { measurePrimitives } from "./measure.js";
import { startProbe, type Probe } from "./probe.js";
import type { PrimitiveSizes } from "./primitives.js";
import { markdown } from "./report.js";

/**
 * What each building block of a webhook costs in workerd CPU under `wrangler dev`: a probe Worker
 * with one route per block, each measured against a route that does nothing else. Prints markdown
 * on stdout, progress on stderr.
 *
 *     tsx scripts/bench/primitives/main.ts      (BENCH_PRIMITIVE_REQUESTS per route and repeat, 1000; 5 repeats)
 */

const progress = (message: string) => console.error(`bench: ${message}`);

let sizes: PrimitiveSizes;
try {
  sizes = { requests: primitiveRequests(process.env), repeats: 5, concurrency: 16 };
} catch (error) {
  console.error(`bench: ${(error as Error).message}`);
  process.exit(2);
}

const stateDir = mkdtempSync(join(tmpdir(), "easel-bench-primitives-"));
let probe: Probe | undefined;

await runBench({
  stateDirs: [stateDir],
  measure: async () => {
    progress("starting the probe Worker and its S3 server");
    probe = await startProbe(stateDir);
    return measurePrimitives(probe, sizes, progress);
  },
  publish: (samples) => console.log(markdown(samples, sizes)),
  stop: async () => {
    await probe?.stop();
  },
});
