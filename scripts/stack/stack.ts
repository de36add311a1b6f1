import { applyMigrations } from "./d1.js";
import { loadOrCreateSecrets, type LocalSecrets } from "./local-secrets.js";
import { statePaths, type StatePaths } from "./paths.js";
import { freePort, requireFreePort } from "./ports.js";
import { checkPrerequisites } from "./preflight.js";
import { killAllNow, type ManagedProcess } from "./processes.js";
import { describeStore, startStore, storeVars, type ExternalS3, type LocalS3Server, type StackStore, type StoreMode } from "./object-store.js";
import { startRunner } from "./runner.js";
import { removeStackFile, writeStackFile } from "./stack-file.js";
import { startWorker } from "./worker.js";

export type StackOptions = {
  /** The state folder (`.easel/` for `npm start`; a fresh temporary one for the tests). */
  stateDir: string;
  /** Fixed ports (checked free first); 0 picks a free one. */
  ports: { worker: number; s3: number; runner: number };
  /** `presigned` (default) or `network-volume`: the Worker's S3_MODE, and the handler writes to a folder. */
  store?: StoreMode;
  /** The local S3 server: s3rver by default, versitygw in network-volume mode (it serves a folder as is). */
  s3Server?: LocalS3Server;
  /** An S3 of the user's own instead of a local server. */
  externalS3?: ExternalS3;
  /** Extra Worker `[vars]`, e.g. a short JOB_TIMEOUT_SECONDS for the tests. */
  vars?: Record<string, string>;
  /** Handler workers per RunPod endpoint (default 2): how many jobs of one type run at once. */
  runnerWorkers?: number;
  /** Called as each part comes up. */
  onStep?: (message: string) => void;
};

export type Stack = {
  workerUrl: string;
  /** wrangler dev's DevTools inspector (the Worker's isolate), for profiling. */
  inspectorPort: number;
  store: StackStore;
  runnerUrl: string;
  secrets: LocalSecrets;
  paths: StatePaths;
  processes: ManagedProcess[];
  /** Resolves with the first part that dies on its own, and how. */
  unexpectedExit: Promise<string>;
  stop(): Promise<void>;
};

const portOrFree = (port: number, part: string, setting: string) => (port === 0 ? freePort() : requireFreePort(port, part, setting));

/** Brings up the S3 server (unless the user brings one), D1, the runner and the Worker, in that order; stops what started if a part fails. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const step = options.onStep ?? (() => undefined);
  checkPrerequisites();
  const paths = statePaths(options.stateDir);
  const mode = options.store ?? "presigned";
  const secrets = loadOrCreateSecrets(paths.secrets);
  const ports = {
    worker: await portOrFree(options.ports.worker, "the Worker", "EASEL_PORT"),
    s3: options.externalS3 ? 0 : await portOrFree(options.ports.s3, "the S3 server", "EASEL_S3_PORT"),
    runner: await portOrFree(options.ports.runner, "the RunPod runner", "EASEL_RUNNER_PORT"),
    inspector: await freePort(),
  };

  const processes: ManagedProcess[] = [];
  let store: StackStore | undefined;
  let stopping = false;
  let announced = false;
  // Only a stack file this start wrote: a start that fails must not remove a running stack's.
  const forgetStack = () => {
    if (announced) removeStackFile(paths.stackFile);
  };
  const stop = async () => {
    stopping = true;
    forgetStack();
    process.off("exit", forgetStack);
    await Promise.all(processes.map((part) => part.stop()));
    await store?.stop();
  };
  try {
    store = await startStore({
      mode,
      server: options.s3Server,
      external: options.externalS3,
      directory: paths.s3,
      port: ports.s3,
      logs: paths.logs,
    });
    if (store.process) processes.push(store.process);
    step(`S3: ${describeStore(store)}`);
    await applyMigrations(paths.wrangler, paths.logs);
    step("D1 migrations applied");
    // The handler maps /runpod-volume/{key} onto this folder, which the S3 server serves as the bucket.
    const handlerEnv: Record<string, string> = store.volumeMount ? { EASEL_VOLUME_MOUNT: store.volumeMount } : {};
    const runner = await startRunner(ports.runner, secrets.RUNPOD_API_KEY, paths.logs, options.runnerWorkers ?? 2, handlerEnv);
    processes.push(runner.process);
    step(`RunPod runner ${runner.url}`);
    const worker = await startWorker({
      port: ports.worker,
      inspectorPort: ports.inspector,
      persistTo: paths.wrangler,
      logs: paths.logs,
      secrets: { ...secrets, S3_ACCESS_KEY_ID: store.credentials.accessKeyId, S3_SECRET_ACCESS_KEY: store.credentials.secretAccessKey },
      vars: { RUNPOD_API_BASE: runner.url, ...storeVars(store), ...options.vars },
    });
    processes.push(worker.process);
    step(`Worker ${worker.url}`);
    writeStackFile(paths.stackFile, { workerUrl: worker.url, store: mode, apiKeyFile: paths.apiKey, secretsFile: paths.secrets, startedAt: new Date().toISOString() });
    announced = true;
    // However this process ends (a second Ctrl-C exits at once), its stack file goes: the CLI would try a stack that is gone.
    process.on("exit", forgetStack);
    const unexpectedExit = Promise.race(
      processes.map(async (part) => {
        const how = await part.exited;
        return stopping ? new Promise<string>(() => undefined) : `${part.name} ${how} (log: ${part.logFile})`;
      }),
    );
    return { workerUrl: worker.url, inspectorPort: ports.inspector, store, runnerUrl: runner.url, secrets, paths, processes, unexpectedExit, stop };
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
