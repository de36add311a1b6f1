import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { loadOrCreateDevKey } from "../../scripts/stack/dev-key.js";
import type { LocalS3Server, StoreMode } from "../../scripts/stack/object-store.js";
import { REPO_ROOT, stateDirFor } from "../../scripts/stack/paths.js";
import { killAllNow } from "../../scripts/stack/processes.js";
import { startStack } from "../../scripts/stack/stack.js";

/** Short enough that the killed-handler case reaches its deadline quickly; long enough for any demo job. */
export const E2E_JOB_TIMEOUT_SECONDS = 30;

const STACKS: Record<string, { store: StoreMode; s3Server: LocalS3Server }> = {
  presigned: { store: "presigned", s3Server: "s3rver" },
  "presigned-versitygw": { store: "presigned", s3Server: "versitygw" },
  "network-volume": { store: "network-volume", s3Server: "versitygw" },
};

/**
 * The whole stack, as `npm start` runs it, on free ports with a fresh state folder laid out as in
 * a checkout (`{root}/.easel/`, or `{root}/.easel/network-volume/`, with its development key),
 * shared by the end-to-end files; which stack, vitest.e2e.config.ts says. Its logs are kept in
 * test-results/e2e-logs/{stack}/ when it stops.
 */
export default async function setup(project: TestProject) {
  const name = process.env.EASEL_E2E_STACK ?? "presigned";
  const root = mkdtempSync(join(tmpdir(), "easel-e2e-"));
  const stateDir = stateDirFor(root, STACKS[name]!.store);
  // If the run is interrupted before teardown, no process of the stack outlives it.
  process.once("exit", killAllNow);
  const stack = await startStack({
    stateDir,
    ...STACKS[name]!,
    ports: { worker: 0, s3: 0, runner: 0 },
    vars: { JOB_TIMEOUT_SECONDS: String(E2E_JOB_TIMEOUT_SECONDS) },
    onStep: (message) => console.log(`e2e stack "${name}": ${message}`),
  });
  await loadOrCreateDevKey(stack.workerUrl, stack.secrets.ADMIN_TOKEN, stack.paths.apiKey);
  const { store } = stack;
  project.provide("e2e", {
    name,
    root,
    workerUrl: stack.workerUrl,
    runnerUrl: stack.runnerUrl,
    adminToken: stack.secrets.ADMIN_TOKEN,
    runpodApiKey: stack.secrets.RUNPOD_API_KEY,
    store: { mode: store.mode, server: store.server, endpoint: store.endpoint, bucket: store.bucket, volumeMount: store.volumeMount },
    wranglerState: stack.paths.wrangler,
    jobTimeoutSeconds: E2E_JOB_TIMEOUT_SECONDS,
  });
  return async () => {
    await stack.stop();
    cpSync(stack.paths.logs, join(REPO_ROOT, "test-results", "e2e-logs", name), { recursive: true });
    const leftBehind = existsSync(stack.paths.stackFile);
    rmSync(root, { recursive: true, force: true });
    // The CLI takes a stack file for a running stack: stopping must remove it.
    if (leftBehind) throw new Error(`the stopped stack left its ${stack.paths.stackFile} behind`);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: {
      name: string;
      /** Where the stack's state lies as in a checkout: `.easel/` is under it. */
      root: string;
      workerUrl: string;
      runnerUrl: string;
      adminToken: string;
      runpodApiKey: string;
      store: { mode: string; server: string; endpoint: string; bucket: string; volumeMount?: string };
      wranglerState: string;
      jobTimeoutSeconds: number;
    };
  }
}
