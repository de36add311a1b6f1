import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeFailure } from "../../stack/errors.js";
import { cleanUpOnSignals } from "../interrupt.js";
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

// A signal stops the probe under the running measurement, which then fails: that failure is the interruption, not news.
const { interrupted } = cleanUpOnSignals(async () => {
  await probe?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

let failed = false;
try {
  progress("starting the probe Worker and its S3 server");
  probe = await startProbe(stateDir);
  const samples = await measurePrimitives(probe, sizes, progress);
  if (!interrupted()) console.log(markdown(samples, sizes));
} catch (error) {
  if (!interrupted()) {
    failed = true;
    console.error(describeFailure(error));
    console.error(`bench: the state and logs are kept in ${stateDir}`);
  }
} finally {
  await probe?.stop();
}
if (!failed) rmSync(stateDir, { recursive: true, force: true });
// The measurement a signal cut short may end here before the signal's own exit: it is still an interruption.
process.exit(interrupted() ? 130 : failed ? 1 : 0);
