import { dirname, join } from "node:path";
import { StackError } from "./errors.js";
import { REPO_ROOT, WRANGLER_BIN } from "./paths.js";
import { logTail, runToEnd } from "./processes.js";
import { workerEnv } from "./worker.js";

/** Which local D1 to migrate: Easel's own (`easel`, ./wrangler.toml) unless told otherwise. */
export type MigrationTarget = { database: string; config?: string };

const EASEL_D1: MigrationTarget = { database: "easel" };

/** Applies any migration the local D1 has not run yet (a second start applies none); its output goes to `logs`/d1-migrations.log. */
export async function applyMigrations(persistTo: string, logs: string, target: MigrationTarget = EASEL_D1): Promise<void> {
  const logFile = join(logs, "d1-migrations.log");
  const configArgs = target.config ? ["--config", target.config] : [];
  const code = await runToEnd(process.execPath, [WRANGLER_BIN, "d1", "migrations", "apply", target.database, "--local", ...configArgs, "--persist-to", persistTo], {
    cwd: target.config ? dirname(target.config) : REPO_ROOT,
    env: { ...workerEnv(), CI: "1" },
    logFile,
  });
  if (code !== 0) {
    throw new StackError(`applying the D1 migrations of ${target.database} failed:\n${logTail(logFile)}`, undefined, logFile);
  }
}
