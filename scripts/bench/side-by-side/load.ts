import { Worker } from "node:worker_threads";
import type { WebhookRequest } from "./handler-play.js";

export type LoadTask = { baseUrl: string; requests: WebhookRequest[]; concurrency: number };
/** Per request, in the order given: latency, HTTP status (0: no answer), the answer's `result` or error code. */
export type LoadRun = { latenciesMs: number[]; statuses: number[]; results: string[]; wallMs: number };

/** Runs load tasks one at a time on one driver thread (load-worker.ts). */
export class LoadDriver {
  private readonly worker = new Worker(new URL("./load-worker.ts", import.meta.url));

  run(task: LoadTask): Promise<LoadRun> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.worker.once("error", onError);
      this.worker.once("message", (run: LoadRun) => {
        this.worker.off("error", onError);
        resolve(run);
      });
      this.worker.postMessage(task);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
