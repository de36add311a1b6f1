import { join } from "node:path";
import { waitUntilHealthy } from "./health.js";
import { HANDLER, REPO_ROOT, RUNNER, VENV_PYTHON } from "./paths.js";
import { HOST } from "./ports.js";
import { startProcess, type ManagedProcess } from "./processes.js";

const READY_TIMEOUT_MS = 30_000;

/** The local RunPod queue (local/runner) in the handler's virtual environment; `env` reaches the handler. */
export async function startRunner(
  port: number,
  runpodApiKey: string,
  logs: string,
  workersPerEndpoint: number,
  env: Record<string, string> = {},
): Promise<{ process: ManagedProcess; url: string }> {
  const url = `http://${HOST}:${port}`;
  const runner = startProcess({
    name: "the RunPod runner",
    command: VENV_PYTHON,
    args: [RUNNER, "--host", HOST, "--port", String(port), "--handler", HANDLER, "--workers-per-endpoint", String(workersPerEndpoint), "--exit-with-stdin"],
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, RUNPOD_API_KEY: runpodApiKey, PYTHONUNBUFFERED: "1" },
    logFile: join(logs, "runner.log"),
    pipeStdin: true,
  });
  await waitUntilHealthy(runner, `${url}/health`, READY_TIMEOUT_MS);
  return { process: runner, url };
}
