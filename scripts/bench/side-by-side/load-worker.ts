import { parentPort } from "node:worker_threads";
import { send, type WebhookRequest } from "./handler-play.js";
import type { LoadRun, LoadTask } from "./load.js";

/**
 * The closed-loop load driver, on its own thread so that the S3 server in the main thread does
 * not share its event loop: `concurrency` loops each take the next request until none is left,
 * so each webhook is sent exactly once (signed as it is sent).
 */
async function drive(task: LoadTask): Promise<LoadRun> {
  const latenciesMs = new Array<number>(task.requests.length);
  const statuses = new Array<number>(task.requests.length);
  const results = new Array<string>(task.requests.length);
  let next = 0;
  const loop = async () => {
    for (let index = next++; index < task.requests.length; index = next++) {
      const request: WebhookRequest = task.requests[index]!;
      const started = performance.now();
      try {
        const response = await send(task.baseUrl, request);
        const text = await response.text();
        latenciesMs[index] = performance.now() - started;
        statuses[index] = response.status;
        results[index] = resultOf(text);
      } catch (error) {
        latenciesMs[index] = performance.now() - started;
        statuses[index] = 0;
        results[index] = `no answer: ${(error as Error).message}`;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: task.concurrency }, loop));
  return { latenciesMs, statuses, results, wallMs: performance.now() - started };
}

function resultOf(text: string): string {
  try {
    const body = JSON.parse(text) as { result?: unknown; error?: { code?: unknown } };
    return String(body.result ?? body.error?.code ?? "unknown");
  } catch {
    return "not JSON";
  }
}

parentPort!.on("message", (task: LoadTask) => {
  void drive(task).then((run) => parentPort!.postMessage(run));
});
