import { killAllNow, stopAll } from "../stack/processes.js";

/**
 * A bench's Ctrl-C: on the first SIGINT, SIGTERM or SIGHUP, stops every stack process still
 * running (also one still starting, which no handle holds yet), runs `cleanUp`, and exits 130;
 * later signals are ignored, as tsx relays the terminal's own. Whatever is left dies with the process.
 */
export function cleanUpOnSignals(cleanUp: () => Promise<void>): { interrupted: () => boolean } {
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`bench: ${signal}: stopping everything the bench started`);
      void stopAll()
        .then(cleanUp)
        .finally(() => process.exit(130));
    });
  }
  process.on("exit", killAllNow);
  return { interrupted: () => interrupted };
}
