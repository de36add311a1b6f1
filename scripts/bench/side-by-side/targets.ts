import { join } from "node:path";
import { startFakeRunpod } from "../../../test/node/fake-runpod.js";
import { loadOrCreateSecrets } from "../../stack/local-secrets.js";
import type { StackStore } from "../../stack/object-store.js";
import { REPO_ROOT, statePaths } from "../../stack/paths.js";
import { HOST } from "../../stack/ports.js";
import { startStack, type Stack } from "../../stack/stack.js";
import { startBenchWorker } from "../bench-worker.js";
import type { TargetName } from "./types.js";

/** What the load driver aims at: a base URL, and the process whose tree's CPU is the target's. */
export type Target = { name: TargetName; url: string; cpuRoot: number };

const BARE_DIR = join(REPO_ROOT, "scripts", "bench", "bare-worker");

export type Easel = { target: Target; stack: Stack; runpodUrl: string; stop(): Promise<void> };

/**
 * Easel's local stack with its RunPod endpoints pointed at a queue that records each dispatch and
 * never runs it (test/node/fake-runpod): every job waits for a GPU, so only the bench plays the
 * handler, with the input the Worker dispatched.
 */
export async function startEasel(stateDir: string): Promise<Easel> {
  const secrets = loadOrCreateSecrets(statePaths(stateDir).secrets);
  const runpod = await startFakeRunpod(0, secrets.RUNPOD_API_KEY);
  const runpodUrl = `http://${HOST}:${runpod.port}`;
  let stack: Stack;
  try {
    stack = await startStack({ stateDir, ports: { worker: 0, s3: 0, runner: 0 }, vars: { RUNPOD_API_BASE: runpodUrl } });
  } catch (error) {
    await runpod.close();
    throw error;
  }
  const wrangler = stack.processes.find((part) => part.name.startsWith("the Worker"));
  if (!wrangler) throw new Error("the stack started no Worker process to measure");
  return {
    target: { name: "easel", url: stack.workerUrl, cpuRoot: wrangler.pid },
    stack,
    runpodUrl,
    stop: async () => {
      await stack.stop();
      await runpod.close();
    },
  };
}

export type Bare = { target: Target; stop(): Promise<void> };

/** The bucket a bare Worker HEADs each announced object in, as Easel does: Easel's own. */
const headVars = (store: StackStore) => ({
  HEAD_BUCKET_URL: `${store.endpoint.replace(/\/+$/, "")}/${store.bucket}`,
  HEAD_REGION: store.region,
  HEAD_ACCESS_KEY_ID: store.credentials.accessKeyId,
  HEAD_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
});

/** The bare Worker (scripts/bench/bare-worker) under `wrangler dev`; with `headIn`, it HEADs each announced object there. */
export async function startBare(stateDir: string, headIn?: StackStore): Promise<Bare> {
  const worker = await startBenchWorker({
    name: "the bare Worker (wrangler dev)", dir: BARE_DIR, database: "bare", stateDir, vars: headIn ? headVars(headIn) : {},
  });
  return { target: { name: "bare", url: worker.url, cpuRoot: worker.process.pid }, stop: () => worker.process.stop() };
}
