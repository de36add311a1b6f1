import { SingleBar } from "cli-progress";
import type { JobEvent } from "../types.js";

export type Progress = { event(event: JobEvent): void; note(message: string): void; stop(): void };

/**
 * Live progress of one job on stderr: a bar on a terminal; otherwise (a pipe, a log, a test) one
 * line per event.
 */
export function progressFor(jobId: string, totalImages: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  let images = 0;
  if (!stream.isTTY) {
    return {
      event(event) {
        if (event.type === "progress") stream.write(`${jobId} progress ${Math.round(event.data.progress)}%\n`);
        else if (event.type === "image") stream.write(`${jobId} image ${++images}/${totalImages} (#${event.data.index}, ${event.data.width}×${event.data.height})\n`);
        else if (event.type !== "end") stream.write(`${jobId} ${event.type}${"error" in event.data ? `: ${event.data.error}` : ""}\n`);
      },
      note: (message) => stream.write(`${message}\n`),
      stop: () => undefined,
    };
  }
  const bar = new SingleBar({ stream, format: `${jobId} [{bar}] {percentage}% | {images}/${totalImages} images | {status}`, hideCursor: true, clearOnComplete: false });
  bar.start(100, 0, { images, status: "queued" });
  return {
    event(event) {
      if (event.type === "progress") bar.update(Math.round(event.data.progress), { status: "running" });
      else if (event.type === "image") bar.update(Math.round((++images / totalImages) * 99), { images, status: "running" });
      else if (event.type !== "end") bar.update(event.type === "completed" ? 100 : bar.getProgress() * 100, { status: event.type });
    },
    note: (message) => bar.update({ status: message }),
    stop: () => bar.stop(),
  };
}
