import { TERMINAL_JOB_EVENTS, type CreateJobInput, type EaselClient, type Job, type JobEvent } from "@easel/client";
import { beforeAll, describe, expect, it } from "vitest";
import { contentImage, styleImage } from "../../scripts/stack/sample-images.js";
import { adminClient, clientFor, collectEvents, d1ImageRows, dataOf, fetchImage, pngSize, scanD1, sha256Hex, stack } from "./support.js";

type Watched = { job: Job; events: JobEvent[]; watchers: JobEvent[][] };

let api: EaselClient;
let textToImage: Watched;
let styleTransfer: Watched;

/** Submits a job and follows it with three watchers at once, to the end. */
async function runWatched(request: CreateJobInput): Promise<Watched> {
  const created = await api.jobs.create(request);
  const watchers = await Promise.all([0, 1, 2].map(() => collectEvents(api, created.id)));
  return { job: await api.jobs.get(created.id), events: watchers[0]!, watchers };
}

beforeAll(async () => {
  api = await clientFor("e2e-jobs");
  const [style, content] = await Promise.all([api.uploads.upload(styleImage()), api.uploads.upload(contentImage())]);
  [textToImage, styleTransfer] = await Promise.all([
    runWatched({ type: "text-to-image", input: { prompt: "a red kite over the dunes", width: 320, height: 256, num_images: 3, seed: 5 } }),
    runWatched({ type: "style-transfer", input: { style_image: style.key, content_image: content.key, width: 256, height: 256, num_images: 2, strength: 0.8 } }),
  ]);
});

const both = () => [
  { name: "text-to-image", run: textToImage, width: 320, height: 256, count: 3 },
  { name: "style-transfer", run: styleTransfer, width: 256, height: 256, count: 2 },
];

const imagesOf = (events: JobEvent[]) => events.filter((event) => event.type === "image").map((event) => dataOf(event, "image"));

describe("both job types, through the Worker, the runner, the handler and the S3 server", () => {
  it("complete, with every announced image in the bucket at the announced size, dimensions and hash", async () => {
    for (const { run, width, height, count } of both()) {
      expect(run.job.status).toBe("completed");
      const announced = imagesOf(run.events);
      expect(announced.map((image) => image.index)).toEqual([...Array(count).keys()]);
      for (const image of announced) {
        const bytes = await fetchImage(image.url);
        expect(bytes.byteLength).toBe(image.size);
        expect(sha256Hex(bytes)).toBe(image.sha256);
        expect(pngSize(bytes)).toEqual({ width, height });
        expect(image).toMatchObject({ width, height, contentType: "image/png" });
      }
      expect(run.job.images.map(({ index, key, size }) => ({ index, key, size }))).toEqual(announced.map(({ index, key, size }) => ({ index, key, size })));
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
      expect(rows.map((row) => ({ idx: row.idx, key: row.key, size: row.size, sha256: row.sha256 }))).toEqual(
        imagesOf(run.events).map((image) => ({ idx: image.index, key: image.key, size: image.size, sha256: image.sha256 })),
      );
    }
  });

  it("read 100% S3-only with no image bytes in D1 in the storage report", async () => {
    const report = await adminClient().reports.storage();
    expect(report.overall).toMatchObject({ rate: 100, bytesInD1: 0 });
    expect(report.overall.images).toBeGreaterThanOrEqual(5);
    for (const type of ["text-to-image", "style-transfer"]) expect(report.byType[type]).toMatchObject({ rate: 100, bytesInD1: 0 });
  });
});

describe("live events (GET /api/jobs/:id/events)", () => {
  it("arrive in order, progress never going back, the terminal event last and then the final end event", () => {
    for (const { run } of both()) {
      const { events } = run;
      const numbered = events.filter((event) => event.id !== null).map((event) => event.id!);
      expect(numbered).toEqual([...numbered].sort((a, b) => a - b));
      expect(new Set(numbered).size).toBe(numbered.length);
      const progress = events.filter((event) => event.type === "progress").map((event) => dataOf(event, "progress").progress);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      expect(events.at(-2)).toMatchObject({ type: "completed", data: { status: "completed" } });
      expect(events.at(-1)).toMatchObject({ type: "end", id: null, data: { status: "completed" } });
      expect(events.slice(0, -2).some((event) => (TERMINAL_JOB_EVENTS as readonly string[]).includes(event.type))).toBe(false);
    }
  });

  it("reach every watcher of a job identically", () => {
    for (const { run } of both()) {
      const shape = (events: JobEvent[]) => events.map(({ id, type, data }) => ({ id, type, ...data, url: undefined }));
      for (const watcher of run.watchers) expect(shape(watcher)).toEqual(shape(run.events));
    }
  });

  it("resume after Last-Event-ID, and a resume past the end answers 204 with nothing", async () => {
    const { job, events } = textToImage;
    const second = events[1]!.id!;
    const resumed = await collectEvents(api, job.id, second);
    expect(resumed.map(({ id, type }) => ({ id, type }))).toEqual(
      events.filter((event) => event.id === null || event.id > second).map(({ id, type }) => ({ id, type })),
    );
    const last = events.at(-2)!.id!;
    expect(await collectEvents(api, job.id, last)).toEqual([]);
  });

  it("are another owner's job's only for its owner, and need a key", async () => {
    const stranger = await clientFor("e2e-stranger");
    await expect(collectEvents(stranger, textToImage.job.id)).rejects.toMatchObject({ code: "not_found", status: 404 });
    const anonymous = await fetch(`${stack().workerUrl}/api/jobs/${textToImage.job.id}/events`);
    expect(anonymous.status).toBe(401);
  });
});
