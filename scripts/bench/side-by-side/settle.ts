import { setTimeout as sleep } from "node:timers/promises";
import { sampleCpu, type CpuSample } from "./proc-cpu.js";

const WINDOW_MS = 250;
const QUIET_TICKS = 1;
const GIVE_UP_MS = 10_000;

/**
 * The CPU sample at which the named trees have gone quiet (at most one tick in a window): work a
 * target defers past its answers (alarms, batched writes) is then counted in the run that caused it.
 */
export async function sampleWhenQuiet(roots: Record<string, number>, watched: string): Promise<CpuSample> {
  const deadline = performance.now() + GIVE_UP_MS;
  let sample = sampleCpu(roots);
  for (;;) {
    await sleep(WINDOW_MS);
    const next = sampleCpu(roots);
    if (next.trees[watched]! - sample.trees[watched]! <= QUIET_TICKS || performance.now() > deadline) return sample;
    sample = next;
  }
}
