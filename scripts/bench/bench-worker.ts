import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { applyMigrations } from "../stack/d1.js";
import { freePort } from "../stack/ports.js";
import type { ManagedProcess } from "../stack/processes.js";
import { startWranglerDev } from "../stack/worker.js";

export type BenchWorkerOptions = {
  name: string;
  /** The folder of the Worker's wrangler.toml and migrations/. */
  dir: string;
  /** Its D1 database's `database_name`. */
  database: string;
  /** Where its local D1 and Durable Objects, and its log, go. */
  stateDir: string;
  vars?: Record<string, string>;
};

/** A bench's own Worker (the bare Worker, the primitives probe) under `wrangler dev`, its local D1 migrated first. */
export async function startBenchWorker(options: BenchWorkerOptions): Promise<{ process: ManagedProcess; url: string }> {
  const persistTo = join(options.stateDir, "wrangler");
  const logs = join(options.stateDir, "logs");
  mkdirSync(logs, { recursive: true });
  await applyMigrations(persistTo, logs, { database: options.database, config: join(options.dir, "wrangler.toml") });
  return startWranglerDev({
    name: options.name,
    cwd: options.dir,
    port: await freePort(),
    inspectorPort: await freePort(),
    persistTo,
    logs,
    vars: options.vars ?? {},
  });
}
