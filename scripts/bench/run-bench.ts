import { rmSync } from "node:fs";
import { describeFailure } from "../stack/errors.js";
import { cleanUpOnSignals } from "./interrupt.js";

export type BenchRun<T> = {
  /** The bench's state and logs: removed at the end, kept and named when the bench fails. */
  stateDirs: string[];
  measure(): Promise<T>;
  /** Prints (and writes) the result; never once a signal cut the run short. */
  publish(result: T): void;
  /** Stops what `measure` started, whether it finished, failed or was interrupted. */
  stop(): Promise<void>;
};

/**
 * A bench script's whole run, then its exit: 130 when a signal cut it short, 1 when it failed, 0
 * otherwise. A signal stops everything under the running measurement, which then fails: that
 * failure is the interruption, not news.
 */
export async function runBench<T>(run: BenchRun<T>): Promise<never> {
  const removeState = () => {
    for (const dir of run.stateDirs) rmSync(dir, { recursive: true, force: true });
  };
  const { interrupted } = cleanUpOnSignals(async () => {
    await run.stop();
    removeState();
  });
  let failed = false;
  try {
    const result = await run.measure();
    if (!interrupted()) run.publish(result);
  } catch (error) {
    if (!interrupted()) {
      failed = true;
      console.error(describeFailure(error));
      console.error(`bench: the state and logs are kept in ${run.stateDirs.join(" and ")}`);
    }
  } finally {
    await run.stop();
  }
  if (!failed) removeState();
  // The measurement a signal cut short may end here before the signal's own exit: it is still an interruption.
  process.exit(interrupted() ? 130 : failed ? 1 : 0);
}
