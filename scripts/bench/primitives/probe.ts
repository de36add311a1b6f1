import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { applyMigrations } from "../../stack/d1.js";
import { waitUntilHealthy } from "../../stack/health.js";
import { REPO_ROOT, WRANGLER_BIN } from "../../stack/paths.js";
import { HOST, freePort } from "../../stack/ports.js";
import { startProcess } from "../../stack/processes.js";
import { S3RVER_CREDENTIALS, startS3rver } from "../../stack/s3rver.js";
import { workerEnv } from "../../stack/worker.js";
import { BENCH_OBJECT, S3_REGION } from "./primitives.js";

/** The probe Worker under `wrangler dev`: where to send requests, and the process whose tree's CPU is the probe's. */
export type Probe = { url: string; cpuRoot: number; stop(): Promise<void> };

const PROBE_DIR = join(REPO_ROOT, "scripts", "bench", "primitives", "worker");
const PROBE_CONFIG = join(PROBE_DIR, "wrangler.toml");
const READY_TIMEOUT_MS = 120_000;

async function putBenchObject(s3Url: string): Promise<void> {
  const s3 = new AwsClient({ ...S3RVER_CREDENTIALS, service: "s3", region: S3_REGION, retries: 0 });
  const response = await s3.fetch(`${s3Url}/${BENCH_OBJECT.bucket}/${BENCH_OBJECT.key}`, { method: "PUT", body: new Uint8Array(32_717) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`PUT of the bench object to the S3 server answered ${response.status}`);
}

/**
 * s3rver (in this process, so its CPU is not the probe's) holding the object s3-head asks for,
 * and the probe under `wrangler dev` with its local D1 migrated first, all under `stateDir`.
 */
export async function startProbe(stateDir: string): Promise<Probe> {
  const persistTo = join(stateDir, "wrangler");
  const logs = join(stateDir, "logs");
  mkdirSync(logs, { recursive: true });
  const s3 = await startS3rver(join(stateDir, "s3"), 0, BENCH_OBJECT.bucket);
  try {
    await putBenchObject(s3.url);
    await applyMigrations(persistTo, logs, { database: "primitives", config: PROBE_CONFIG });
    const port = await freePort();
    const vars = { S3_ENDPOINT: s3.url, S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey };
    const worker = startProcess({
      name: "the primitives probe Worker (wrangler dev)",
      command: process.execPath,
      args: [
        WRANGLER_BIN, "dev",
        "--config", PROBE_CONFIG,
        "--ip", HOST,
        "--port", String(port),
        "--inspector-port", String(await freePort()),
        "--persist-to", persistTo,
        "--show-interactive-dev-session=false",
        ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
      ],
      cwd: PROBE_DIR,
      env: workerEnv(),
      logFile: join(logs, "worker.log"),
    });
    const url = `http://${HOST}:${port}`;
    await waitUntilHealthy(worker, `${url}/health`, READY_TIMEOUT_MS);
    return {
      url,
      cpuRoot: worker.pid,
      stop: async () => {
        await worker.stop();
        await s3.stop();
      },
    };
  } catch (error) {
    await s3.stop();
    throw error;
  }
}
