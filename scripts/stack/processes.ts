import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

/**
 * Child processes of the stack, each the leader of its own process group, so that stopping one
 * also stops whatever it started (wrangler's workerd, the runner's handler workers).
 */
export type ManagedProcess = {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<string>;
  hasExited(): boolean;
  stop(): Promise<void>;
};

export type ProcessOptions = {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  /** Keeps a pipe to the child's stdin open; a child that watches it ends when we do. */
  pipeStdin?: boolean;
};

const STOP_GRACE_MS = 5_000;
const running = new Set<ManagedProcess>();

export function startProcess(options: ProcessOptions): ManagedProcess {
  const log = openSync(options.logFile, "w");
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: [options.pipeStdin ? "pipe" : "ignore", log, log],
  });
  closeSync(log);
  if (child.pid === undefined) {
    throw new Error(`${options.name} did not start: ${options.command} could not be run`);
  }
  const pid = child.pid;
  let ended = false;
  const exited = new Promise<string>((resolve) => {
    child.once("error", (error) => {
      ended = true;
      resolve(`could not be run: ${error.message}`);
    });
    child.once("exit", (code, signal) => {
      ended = true;
      resolve(signal ? `was stopped by ${signal}` : `exited with code ${code}`);
    });
  });

  const managed: ManagedProcess = {
    name: options.name,
    pid,
    logFile: options.logFile,
    exited,
    hasExited: () => ended,
    async stop() {
      running.delete(managed);
      if (!ended) {
        signalGroup(pid, "SIGTERM");
        const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      // The leader is gone; anything it left behind in its group goes too.
      signalGroup(pid, "SIGKILL");
    },
  };
  running.add(managed);
  return managed;
}

function signalGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/** Stops every process still running, gracefully. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((managed) => managed.stop()));
}

/** Last resort on exit: synchronous, so it also runs from process.on("exit"). */
export function killAllNow() {
  for (const managed of running) signalGroup(managed.pid, "SIGKILL");
  running.clear();
}

/** Runs a command to its end, its output into `logFile`: its exit code, or "not found" when there is no such command. */
export function runToEnd(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv; logFile: string }): Promise<number | "not found"> {
  const log = openSync(options.logFile, "w");
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", log, log] });
  closeSync(log);
  return new Promise((resolve) => {
    child.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ENOENT" ? "not found" : -1));
    child.once("exit", (code) => resolve(code ?? -1));
  });
}

export function logTail(logFile: string, lines = 20): string {
  try {
    return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
