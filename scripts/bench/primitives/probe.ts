import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { REPO_ROOT } from "../../stack/paths.js";
import { S3RVER_CREDENTIALS, startS3rver } from "../../stack/s3rver.js";
import { startBenchWorker } from "../bench-worker.js";
import { BENCH_OBJECT, S3_REGION } from "./primitives.js";

/** The probe Worker under `wrangler dev`: where to send requests, and the process whose tree's CPU is the probe's. */
export type Probe = { url: string; cpuRoot: number; stop(): Promise<void> };

const PROBE_DIR = join(REPO_ROOT, "scripts", "bench", "primitives", "worker");

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
  const s3 = await startS3rver(join(stateDir, "s3"), 0, BENCH_OBJECT.bucket);
  try {
    await putBenchObject(s3.url);
    const worker = await startBenchWorker({
      name: "the primitives probe Worker (wrangler dev)",
      dir: PROBE_DIR,
      database: "primitives",
      stateDir,
      vars: { S3_ENDPOINT: s3.url, S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey },
    });
    return {
      url: worker.url,
      cpuRoot: worker.process.pid,
      stop: async () => {
        await worker.process.stop();
        await s3.stop();
      },
    };
  } catch (error) {
    await s3.stop();
    throw error;
  }
}
