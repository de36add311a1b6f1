import { inPool } from "../side-by-side/pool.js";
import { treeCpuMs } from "../side-by-side/proc-cpu.js";
import { sampleWhenQuiet } from "../side-by-side/settle.js";
import type { CpuSamples } from "./figures.js";
import type { Probe } from "./probe.js";
import { PRIMITIVES, type Primitive, type PrimitiveSizes } from "./primitives.js";
import { signedWebhooks, type SignedWebhook } from "./signed-webhooks.js";

const WARM_UP_REQUESTS = 200;

/** Sends `count` webhooks to a route, round robin over the jobs; any answer but 2xx fails the bench. */
async function send(probe: Probe, primitive: Primitive, webhooks: SignedWebhook[], count: number, concurrency: number): Promise<void> {
  await inPool(Array.from({ length: count }), concurrency, async (_, index) => {
    const { jobId, body, headers } = webhooks[index % webhooks.length]!;
    const response = await fetch(`${probe.url}/${primitive}/${jobId}`, { method: "POST", headers, body });
    const answer = await response.text();
    if (!response.ok) throw new Error(`the probe's ${primitive} route answered ${response.status}: ${answer.slice(0, 300)}`);
  });
}

/** CPU ms per request of one route: the probe's process tree from quiet before a run to quiet after it, over the run's requests. */
async function cpuPerRequest(probe: Probe, primitive: Primitive, sizes: PrimitiveSizes): Promise<number> {
  const webhooks = signedWebhooks();
  await send(probe, primitive, webhooks, Math.min(WARM_UP_REQUESTS, sizes.requests), sizes.concurrency);
  const roots = { probe: probe.cpuRoot };
  const before = await sampleWhenQuiet(roots, "probe");
  await send(probe, primitive, webhooks, sizes.requests, sizes.concurrency);
  const after = await sampleWhenQuiet(roots, "probe");
  return treeCpuMs(before, after, "probe") / sizes.requests;
}

/** Every route once per repeat, in turn, so drift in the machine's load spreads over all of them. */
export async function measurePrimitives(probe: Probe, sizes: PrimitiveSizes, progress: (message: string) => void): Promise<CpuSamples> {
  const samples = Object.fromEntries(PRIMITIVES.map(({ name }) => [name, [] as number[]])) as CpuSamples;
  for (let repeat = 1; repeat <= sizes.repeats; repeat++) {
    for (const { name } of PRIMITIVES) {
      const cpuMs = await cpuPerRequest(probe, name, sizes);
      samples[name].push(cpuMs);
      progress(`repeat ${repeat}/${sizes.repeats} ${name}: ${cpuMs.toFixed(3)} CPU ms/request`);
    }
  }
  return samples;
}
