import { beforeAll, describe, expect, it } from "vitest";
import type { EaselClient, Job, JobEvent } from "../../scripts/stack/easel-client.js";
import { contentImage, styleImage } from "../../scripts/stack/sample-images.js";
import { clientFor, collectEvents, d1ImageRows, fetchImage, pngSize, scanD1, sha256Hex, stack } from "./support.js";

const TERMINAL = ["completed", "failed", "canceled", "timed_out"];
type Watched = { job: Job; events: JobEvent[]; watchers: JobEvent[][] };

let api: EaselClient;
let textToImage: Watched;
let styleTransfer: Watched;

/** Submits a job and follows it with three watchers at once, to the end. */
async function runWatched(request: { type: string; input: Record<string, unknown> }): Promise<Watched> {
  const created = await api.createJob(request);
  const watchers = await Promise.all([0, 1, 2].map(() => collectEvents(api, created.id)));
  return { job: await api.getJob(created.id), events: watchers[0]!, watchers };
}

beforeAll(async () => {
  api = await clientFor("e2e-jobs");
  const [styleKey, contentKey] = await Promise.all([api.upload(styleImage(), "image/png"), api.upload(contentImage(), "image/png")]);
  [textToImage, styleTransfer] = await Promise.all([
    runWatched({ type: "text-to-image", input: { prompt: "a red kite over the dunes", width: 320, height: 256, num_images: 3, seed: 5 } }),
    runWatched({ type: "style-transfer", input: { style_image: styleKey, content_image: contentKey, width: 256, height: 256, num_images: 2, strength: 0.8 } }),
  ]);
});

const both = () => [
  { name: "text-to-image", run: textToImage, width: 320, height: 256, count: 3 },
  { name: "style-transfer", run: styleTransfer, width: 256, height: 256, count: 2 },
];

describe("both job types, through the Worker, the runner, the handler and the S3 server", () => {
  it("complete, with every announced image in the bucket at the announced size, dimensions and hash", async () => {
    for (const { run, width, height, count } of both()) {
      expect(run.job.status).toBe("completed");
      const announced = run.events.filter((event) => event.event === "image");
      expect(announced.map((event) => event.payload.index)).toEqual([...Array(count).keys()]);
      for (const event of announced) {
        const bytes = await fetchImage(String(event.payload.url));
        expect(bytes.byteLength).toBe(event.payload.size);
        expect(sha256Hex(bytes)).toBe(event.payload.sha256);
        expect(pngSize(bytes)).toEqual({ width, height });
        expect(event.payload).toMatchObject({ width, height, contentType: "image/png" });
      }
      expect(run.job.images.map(({ index, key, size }) => ({ index, key, size }))).toEqual(
        announced.map(({ payload }) => ({ index: payload.index, key: payload.key, size: payload.size })),
      );
    }
  });

  it("keep only metadata in D1: no BLOB and no long value in any table, one small row per image", () => {
    const columns = scanD1();
    expect(columns.map((column) => column.table)).toEqual(expect.arrayContaining(["jobs", "images", "api_keys"]));
    expect(columns.filter((column) => column.blobs > 0)).toEqual([]);
    expect(columns.filter((column) => column.longest > 4096)).toEqual([]);
    for (const { run, count } of both()) {
      const rows = d1ImageRows(run.job.id);
      expect(rows).toHaveLength(count);
      const announced = run.events.filter((event) => event.event === "image").map((event) => event.payload);
      expect(rows.map((row) => ({ idx: row.idx, key: row.key, size: row.size, sha256: row.sha256 }))).toEqual(
        announced.map((image) => ({ idx: image.index, key: image.key, size: image.size, sha256: image.sha256 })),
      );
    }
  });

  it("read 100% S3-only with no image bytes in D1 in the storage report", async () => {
    const report = await api.storageReport(stack().adminToken);
    expect(report.overall).toMatchObject({ rate: 100, bytesInD1: 0 });
    expect(report.overall.images).toBeGreaterThanOrEqual(5);
    for (const type of ["text-to-image", "style-transfer"]) expect(report.byType[type]).toMatchObject({ rate: 100, bytesInD1: 0 });
  });
});

describe("live events (GET /api/jobs/:id/events)", () => {
  it("arrive in order, progress never going back, the terminal event last and then the final end event", () => {
    for (const { run } of both()) {
      const { events } = run;
      const numbered = events.filter((event) => event.seq !== null).map((event) => event.seq!);
      expect(numbered).toEqual([...numbered].sort((a, b) => a - b));
      expect(new Set(numbered).size).toBe(numbered.length);
      const progress = events.filter((event) => event.event === "progress").map((event) => Number(event.payload.progress));
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(events.at(-2)).toMatchObject({ event: "completed", payload: { status: "completed" } });
      expect(events.at(-1)).toMatchObject({ event: "end", seq: null, payload: { status: "completed" } });
      expect(events.slice(0, -2).some((event) => TERMINAL.includes(event.event))).toBe(false);
    }
  });

  it("reach every watcher of a job identically", () => {
    for (const { run } of both()) {
      const shape = (events: JobEvent[]) => events.map(({ seq, event, payload }) => ({ seq, event, ...payload, url: undefined }));
      for (const watcher of run.watchers) expect(shape(watcher)).toEqual(shape(run.events));
    }
  });

  it("resume after Last-Event-ID, and a resume past the end answers 204 with nothing", async () => {
    const { job, events } = textToImage;
    const second = events[1]!.seq!;
    const resumed = await collectEvents(api, job.id, second);
    expect(resumed.map(({ seq, event }) => ({ seq, event }))).toEqual(
      events.filter((event) => event.seq === null || event.seq > second).map(({ seq, event }) => ({ seq, event })),
    );
    const last = events.at(-2)!.seq!;
    expect(await collectEvents(api, job.id, last)).toEqual([]);
  });

  it("are another owner's job's only for its owner, and need a key", async () => {
    const stranger = await clientFor("e2e-stranger");
    await expect(collectEvents(stranger, textToImage.job.id)).rejects.toMatchObject({ status: 404 });
    const anonymous = await fetch(`${stack().workerUrl}/api/jobs/${textToImage.job.id}/events`);
    expect(anonymous.status).toBe(401);
  });
});
