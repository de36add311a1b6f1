import { join } from "node:path";
import { buildBrowserClient } from "./browser-client.js";
import { waitUntilHealthy } from "./health.js";
import { REPO_ROOT, WRANGLER_BIN } from "./paths.js";
import { HOST } from "./ports.js";
import { startProcess, type ManagedProcess } from "./processes.js";

const READY_TIMEOUT_MS = 120_000;
// Configuration the Worker reads; a value left in the user's shell must not leak into the stack.
const WORKER_SETTING = /^(RUNPOD_|S3_|PUBLIC_BASE_URL$|WEBHOOK_SIGNING_KEY$|ADMIN_TOKEN$|JOB_TIMEOUT_SECONDS$|MAX_IMAGE_BYTES$)/;

/** The environment wrangler runs in: the user's, minus anything that would configure the Worker. */
export function workerEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !WORKER_SETTING.test(name)));
  return { ...env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", NO_COLOR: "1" };
}

export type WorkerOptions = {
  port: number;
  inspectorPort: number;
  persistTo: string;
  logs: string;
  /** Passed through the environment, never argv. */
  secrets: Record<string, string>;
  /** `[vars]` overrides: where the runner and the bucket are, and anything a caller tunes. */
  vars: Record<string, string>;
};

export type WranglerDevOptions = {
  name: string;
  /** The folder of the Worker's wrangler.toml. */
  cwd: string;
  port: number;
  inspectorPort: number;
  persistTo: string;
  logs: string;
  vars: Record<string, string>;
  /** Added to workerEnv(): secrets go there, never in argv. */
  env?: Record<string, string>;
};

/** `wrangler dev` of the Worker in `cwd`, on loopback, local D1 and Durable Objects persisted under `persistTo`; resolves once /health answers. */
export async function startWranglerDev(options: WranglerDevOptions): Promise<{ process: ManagedProcess; url: string }> {
  const url = `http://${HOST}:${options.port}`;
  const worker = startProcess({
    name: options.name,
    command: process.execPath,
    args: [
      WRANGLER_BIN, "dev",
      "--ip", HOST,
      "--port", String(options.port),
      "--inspector-port", String(options.inspectorPort),
      "--persist-to", options.persistTo,
      "--show-interactive-dev-session=false",
      ...Object.entries(options.vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ],
    cwd: options.cwd,
    env: { ...workerEnv(), ...options.env },
    logFile: join(options.logs, "worker.log"),
  });
  await waitUntilHealthy(worker, `${url}/health`, READY_TIMEOUT_MS);
  return { process: worker, url };
}

/** Easel's Worker under `wrangler dev`, serving the gallery with this checkout's client. */
export async function startWorker(options: WorkerOptions): Promise<{ process: ManagedProcess; url: string }> {
  await buildBrowserClient();
  const url = `http://${HOST}:${options.port}`;
  return startWranglerDev({
    name: "the Worker (wrangler dev)",
    cwd: REPO_ROOT,
    port: options.port,
    inspectorPort: options.inspectorPort,
    persistTo: options.persistTo,
    logs: options.logs,
    vars: { PUBLIC_BASE_URL: url, ENVIRONMENT: "local", ...options.vars },
    // Secrets go through the environment (wrangler gives it precedence over .dev.vars), not argv.
    env: options.secrets,
  });
}
