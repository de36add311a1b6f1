import type { CreateJobInput, EaselClient, Job, JobEvent } from "@easel/client";
import { beforeAll, describe, expect, it } from "vitest";
import { clientFor, d1ImageRows, dataOf, eventsUntil, fetchImage, stack } from "./support.js";

// Test-only markers the local runner understands (local/runner/failure_hooks.py): the handler's
// worker stalls, or is killed with SIGKILL, as it starts uploading the second image.
const STALL = "[runner:stall-mid-job]";
const DIE = "[runner:die-mid-job]";

const midJob = (marker: string): CreateJobInput => ({
  type: "text-to-image",
  input: { prompt: `a slow night sky ${marker}`, width: 256, height: 256, num_images: 2, seed: 3 },
});

let api: EaselClient;
let killed: Job;
let killedStream: AsyncGenerator<JobEvent>;

beforeAll(async () => {
  api = await clientFor("e2e-failures");
  // Submitted first: its deadline runs while the cancel case runs.
  killed = await api.jobs.create(midJob(DIE));
  killedStream = api.jobs.events(killed.id);
});

const isImage = (event: JobEvent) => event.type === "image";
const isFinal = (event: JobEvent) => event.type === "end";

describe("a job that does not finish", () => {
  it("ends canceled when the client cancels it mid-run, keeping the image it already delivered", async () => {
    const job = await api.jobs.create(midJob(STALL));
    const stream = api.jobs.events(job.id);
    const before = await eventsUntil(stream, isImage);
    expect(dataOf(before.at(-1), "image").index).toBe(0);

    const canceled = await api.jobs.cancel(job.id);
    expect(canceled.status).toBe("canceled");
    const after = await eventsUntil(stream, isFinal);
    expect(after.map((event) => event.type)).toEqual(["canceled", "end"]);
    expect(after[0]!.data).toMatchObject({ status: "canceled", error: expect.stringMatching(/cancel/) });

    const final = await api.jobs.get(job.id);
    expect(final).toMatchObject({ status: "canceled", error: expect.stringMatching(/cancel/) });
    expect(final.images.map((image) => image.index)).toEqual([0]);
    expect(d1ImageRows(job.id)).toHaveLength(1);
    await expect(api.jobs.cancel(job.id)).rejects.toMatchObject({ status: 409 });
  });

  it("ends timed_out or failed, with its reason, after the deadline when its handler is killed mid-job", async () => {
    const before = await eventsUntil(killedStream, isImage);
    expect(dataOf(before.at(-1), "image").index).toBe(0);
    const after = await eventsUntil(killedStream, isFinal);
    const terminal = after.at(-2)!;
    expect(["timed_out", "failed"]).toContain(terminal.type);
    const reason = "error" in terminal.data ? terminal.data.error : "";
    expect(reason).not.toBe("");

    const final = await api.jobs.get(killed.id);
    expect(final.status).toBe(terminal.type);
    expect(final.error).toBe(reason);
    const ranFor = Date.parse(final.completedAt!) - Date.parse(final.createdAt);
    expect(ranFor).toBeGreaterThanOrEqual(stack().jobTimeoutSeconds * 1000);
    // What arrived before the kill stays, in the bucket and in D1.
    expect(final.images.map((image) => image.index)).toEqual([0]);
    expect((await fetchImage(final.images[0]!.url)).byteLength).toBe(final.images[0]!.size);
    expect(d1ImageRows(killed.id)).toHaveLength(1);
  });
});
