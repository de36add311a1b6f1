import { spawn } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { join } from "node:path";
import { StackError } from "./errors.js";
import { REPO_ROOT, WRANGLER_BIN } from "./paths.js";
import { logTail } from "./processes.js";
import { workerEnv } from "./worker.js";

/** Applies any migration the local D1 has not run yet (a second start applies none). */
export async function applyMigrations(persistTo: string, logs: string): Promise<void> {
  const logFile = join(logs, "d1-migrations.log");
  const log = openSync(logFile, "w");
  const child = spawn(process.execPath, [WRANGLER_BIN, "d1", "migrations", "apply", "easel", "--local", "--persist-to", persistTo], {
    cwd: REPO_ROOT,
    env: { ...workerEnv(), CI: "1" },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const code = await new Promise<number | null>((resolve) => {
    child.once("error", () => resolve(null));
    child.once("exit", (exitCode) => resolve(exitCode));
  });
  if (code !== 0) {
    throw new StackError(`applying the D1 migrations failed:\n${logTail(logFile)}`, undefined, logFile);
  }
}
