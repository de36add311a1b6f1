import { beforeAll, describe, expect, it } from "vitest";
import type { EaselClient, Job, JobEvent } from "../../scripts/stack/easel-client.js";
import { clientFor, d1ImageRows, eventsUntil, fetchImage, stack } from "./support.js";

// Test-only markers the local runner understands (local/runner/failure_hooks.py): the handler's
// worker stalls, or is killed with SIGKILL, as it starts uploading the second image.
const STALL = "[runner:stall-mid-job]";
const DIE = "[runner:die-mid-job]";

const midJob = (marker: string) => ({
  type: "text-to-image",
  input: { prompt: `a slow night sky ${marker}`, width: 256, height: 256, num_images: 2, seed: 3 },
});

let api: EaselClient;
let killed: Job;
let killedStream: AsyncGenerator<JobEvent>;

beforeAll(async () => {
  api = await clientFor("e2e-failures");
  // Submitted first: its deadline runs while the cancel case runs.
  killed = await api.createJob(midJob(DIE));
  killedStream = api.events(killed.id);
});

const isImage = (event: JobEvent) => event.event === "image";
const isFinal = (event: JobEvent) => event.event === "end";

describe("a job that does not finish", () => {
  it("ends canceled when the client cancels it mid-run, keeping the image it already delivered", async () => {
    const job = await api.createJob(midJob(STALL));
    const stream = api.events(job.id);
    const before = await eventsUntil(stream, isImage);
    expect(before.at(-1)?.payload.index).toBe(0);

    const canceled = await api.cancelJob(job.id);
    expect(canceled.status).toBe("canceled");
    const after = await eventsUntil(stream, isFinal);
    expect(after.map((event) => event.event)).toEqual(["canceled", "end"]);
    expect(after[0]!.payload).toMatchObject({ status: "canceled", error: expect.stringMatching(/cancel/) });

    const final = await api.getJob(job.id);
    expect(final).toMatchObject({ status: "canceled", error: expect.stringMatching(/cancel/) });
    expect(final.images.map((image) => image.index)).toEqual([0]);
    expect(d1ImageRows(job.id)).toHaveLength(1);
    await expect(api.cancelJob(job.id)).rejects.toMatchObject({ status: 409 });
  });

  it("ends timed_out or failed, with its reason, after the deadline when its handler is killed mid-job", async () => {
    const before = await eventsUntil(killedStream, isImage);
    expect(before.at(-1)?.payload.index).toBe(0);
    const after = await eventsUntil(killedStream, isFinal);
    const terminal = after.at(-2)!;
    expect(["timed_out", "failed"]).toContain(terminal.event);
    expect(String(terminal.payload.error)).not.toBe("");

    const final = await api.getJob(killed.id);
    expect(final.status).toBe(terminal.event);
    expect(final.error).toBe(terminal.payload.error);
    const ranFor = Date.parse(final.completedAt!) - Date.parse(final.createdAt);
    expect(ranFor).toBeGreaterThanOrEqual(stack().jobTimeoutSeconds * 1000);
    // What arrived before the kill stays, in the bucket and in D1.
    expect(final.images.map((image) => image.index)).toEqual([0]);
    expect((await fetchImage(final.images[0]!.url)).byteLength).toBe(final.images[0]!.size);
    expect(d1ImageRows(killed.id)).toHaveLength(1);
  });
});
