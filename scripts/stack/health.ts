import { setTimeout as sleep } from "node:timers/promises";
import { StackError } from "./errors.js";
import { logTail, type ManagedProcess } from "./processes.js";

const POLL_MS = 200;

/**
 * Waits until `url` answers 200. Fails at once (with the end of its log) if the process exits
 * first, or after `timeoutMs` if it never gets ready; either way the process is stopped.
 */
export async function waitUntilHealthy(part: ManagedProcess, url: string, timeoutMs: number): Promise<void> {
  try {
    await poll(part, url, timeoutMs);
  } catch (error) {
    await part.stop();
    throw error;
  }
}

async function poll(part: ManagedProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    if (part.hasExited()) {
      const how = await part.exited;
      throw new StackError(`${part.name} ${how} while starting:\n${indent(logTail(part.logFile))}`, undefined, part.logFile);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
      lastProblem = `${url} answered ${response.status}`;
    } catch (error) {
      lastProblem = `${url}: ${(error as Error).message}`;
    }
    await sleep(POLL_MS);
  }
  throw new StackError(
    `${part.name} did not get ready within ${Math.round(timeoutMs / 1000)} s (${lastProblem}):\n${indent(logTail(part.logFile))}`,
    undefined,
    part.logFile,
  );
}

const indent = (text: string) => text.split("\n").map((line) => `    ${line}`).join("\n");
