import { applyMigrations } from "./d1.js";
import { loadOrCreateSecrets, type LocalSecrets } from "./local-secrets.js";
import { statePaths, type StatePaths } from "./paths.js";
import { freePort, requireFreePort } from "./ports.js";
import { checkPrerequisites } from "./preflight.js";
import { killAllNow, type ManagedProcess } from "./processes.js";
import { startRunner } from "./runner.js";
import { startS3, type LocalS3 } from "./s3.js";
import { startWorker } from "./worker.js";

export type StackOptions = {
  /** The state folder (`.easel/` for `npm start`; a fresh temporary one for the tests). */
  stateDir: string;
  /** Fixed ports (checked free first); 0 picks a free one. */
  ports: { worker: number; s3: number; runner: number };
  /** Extra Worker `[vars]`, e.g. a short JOB_TIMEOUT_SECONDS for the tests. */
  vars?: Record<string, string>;
  /** Handler workers per RunPod endpoint (default 2): how many jobs of one type run at once. */
  runnerWorkers?: number;
  /** Called as each part comes up. */
  onStep?: (message: string) => void;
};

export type Stack = {
  workerUrl: string;
  s3: LocalS3;
  runnerUrl: string;
  secrets: LocalSecrets;
  paths: StatePaths;
  processes: ManagedProcess[];
  /** Resolves with the first part that dies on its own, and how. */
  unexpectedExit: Promise<string>;
  stop(): Promise<void>;
};

const portOrFree = (port: number, part: string, setting: string) => (port === 0 ? freePort() : requireFreePort(port, part, setting));

/** Brings up the S3 server, D1, the runner and the Worker, in that order; stops what started if a part fails. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const step = options.onStep ?? (() => undefined);
  checkPrerequisites();
  const paths = statePaths(options.stateDir);
  const secrets = loadOrCreateSecrets(paths.secrets);
  const ports = {
    worker: await portOrFree(options.ports.worker, "the Worker", "EASEL_PORT"),
    s3: await portOrFree(options.ports.s3, "the S3 server", "EASEL_S3_PORT"),
    runner: await portOrFree(options.ports.runner, "the RunPod runner", "EASEL_RUNNER_PORT"),
    inspector: await freePort(),
  };

  const processes: ManagedProcess[] = [];
  let s3: LocalS3 | undefined;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all(processes.map((part) => part.stop()));
    await s3?.stop();
  };
  try {
    s3 = await startS3(paths.s3, ports.s3);
    step(`S3 server ${s3.url} (bucket "${s3.bucket}")`);
    await applyMigrations(paths.wrangler, paths.logs);
    step("D1 migrations applied");
    const runner = await startRunner(ports.runner, secrets.RUNPOD_API_KEY, paths.logs, options.runnerWorkers ?? 2);
    processes.push(runner.process);
    step(`RunPod runner ${runner.url}`);
    const worker = await startWorker({
      port: ports.worker,
      inspectorPort: ports.inspector,
      persistTo: paths.wrangler,
      logs: paths.logs,
      secrets,
      vars: { RUNPOD_API_BASE: runner.url, S3_ENDPOINT: s3.url, S3_BUCKET: s3.bucket, S3_FORCE_PATH_STYLE: "true", ...options.vars },
    });
    processes.push(worker.process);
    step(`Worker ${worker.url}`);
    const unexpectedExit = Promise.race(
      processes.map(async (part) => {
        const how = await part.exited;
        return stopping ? new Promise<string>(() => undefined) : `${part.name} ${how} (log: ${part.logFile})`;
      }),
    );
    return { workerUrl: worker.url, s3, runnerUrl: runner.url, secrets, paths, processes, unexpectedExit, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Stops the stack on Ctrl-C, SIGTERM and SIGHUP (a second one kills at once), and kills what is left on any exit. */
export function stopOnSignals(stop: () => Promise<void>, onSignal: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (stopping) {
        // A second Ctrl-C: stop waiting for a graceful end.
        console.error("easel: killing every part now");
        killAllNow();
        process.exit(130);
      }
      stopping = true;
      onSignal(signal);
      void stop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
  process.on("exit", killAllNow);
}
