import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { REPO_ROOT } from "../../scripts/stack/paths.js";
import { killAllNow } from "../../scripts/stack/processes.js";
import { startStack } from "../../scripts/stack/stack.js";

/** Short enough that the killed-handler case reaches its deadline quickly; long enough for any demo job. */
export const E2E_JOB_TIMEOUT_SECONDS = 30;

/**
 * The whole stack, as `npm start` runs it, on free ports with a fresh state folder, shared by
 * the end-to-end files. Its logs are kept in test-results/e2e-logs/ when it stops.
 */
export default async function setup(project: TestProject) {
  const stateDir = mkdtempSync(join(tmpdir(), "easel-e2e-"));
  // If the run is interrupted before teardown, no process of the stack outlives it.
  process.once("exit", killAllNow);
  const stack = await startStack({
    stateDir,
    ports: { worker: 0, s3: 0, runner: 0 },
    vars: { JOB_TIMEOUT_SECONDS: String(E2E_JOB_TIMEOUT_SECONDS) },
  });
  project.provide("e2e", {
    workerUrl: stack.workerUrl,
    runnerUrl: stack.runnerUrl,
    adminToken: stack.secrets.ADMIN_TOKEN,
    runpodApiKey: stack.secrets.RUNPOD_API_KEY,
    bucket: stack.s3.bucket,
    s3Directory: stack.s3.directory,
    wranglerState: stack.paths.wrangler,
    jobTimeoutSeconds: E2E_JOB_TIMEOUT_SECONDS,
  });
  return async () => {
    await stack.stop();
    cpSync(stack.paths.logs, join(REPO_ROOT, "test-results", "e2e-logs"), { recursive: true });
    rmSync(stateDir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: {
      workerUrl: string;
      runnerUrl: string;
      adminToken: string;
      runpodApiKey: string;
      bucket: string;
      s3Directory: string;
      wranglerState: string;
      jobTimeoutSeconds: number;
    };
  }
}
