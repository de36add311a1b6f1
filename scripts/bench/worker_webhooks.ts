import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EaselClient } from "@easel/client";
import { startFakeRunpod } from "../../test/node/fake-runpod.js";
import { pngBytes, toBase64 } from "../../test/helpers/images.js";
import { loadOrCreateSecrets } from "../stack/local-secrets.js";
import { statePaths } from "../stack/paths.js";
import { startStack, type Stack } from "../stack/stack.js";
import { cleanUpOnSignals } from "./interrupt.js";
import { imageWebhook, JobMaker, putImage, send } from "./side-by-side/handler-play.js";

// The Worker's side of delivery, measured through the real local stack (wrangler dev with local
// D1 and Durable Objects, s3rver): the bench plays the GPU handler, so only the Worker is timed.
const JOBS = 5;
const IMAGES_PER_JOB = 8;
const LEGACY_IMAGES = 6;
const SEED_IMAGE_BYTES = 1_153_434;

type Sample = { ms: number; bytes: number };

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

async function timed(request: () => Promise<Response>, bytes: number): Promise<Sample> {
  const started = performance.now();
  const response = await request();
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
  return { ms: performance.now() - started, bytes };
}

async function contractImages(maker: JobMaker, workerUrl: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let job = 0; job < JOBS; job++) {
    const played = await maker.make(IMAGES_PER_JOB, 1024, 1024);
    for (let index = 0; index < IMAGES_PER_JOB; index++) {
      await putImage(played, index, pngBytes(1024, 1024, 96_000, index + 1), 1024, 1024);
      const request = imageWebhook(played, index);
      samples.push(await timed(() => send(workerUrl, request), Buffer.byteLength(request.body)));
    }
  }
  return samples;
}

/** A legacy handler's per-image message with the bytes inline, unsigned, to the legacy URL (the route with the job's token). */
async function legacyBytes(maker: JobMaker): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let job = 0; job < LEGACY_IMAGES; job++) {
    const played = await maker.make(1, 1024, 1024);
    const image = { filename: "ComfyUI_00001_.png", subfolder: "", type: "output", data: toBase64(pngBytes(1024, 1024, SEED_IMAGE_BYTES, job)), format: "png" };
    const body = JSON.stringify({ job_id: played.jobId, image_index: 0, total_images: 1, ...image });
    const url = played.input.callback.legacy_url ?? played.input.callback.url;
    samples.push(await timed(() => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body }), Buffer.byteLength(body)));
  }
  return samples;
}

function row(label: string, samples: Sample[]): string {
  const ms = samples.map((sample) => sample.ms);
  const bytes = Math.round(samples.reduce((sum, sample) => sum + sample.bytes, 0) / samples.length);
  return `| ${label} | ${samples.length} | ${bytes.toLocaleString("en")} | ${quantile(ms, 0.5).toFixed(1)} | ${quantile(ms, 0.9).toFixed(1)} |`;
}

const stateDir = mkdtempSync(join(tmpdir(), "easel-bench-"));
const secrets = loadOrCreateSecrets(statePaths(stateDir).secrets);
const runpod = await startFakeRunpod(0, secrets.RUNPOD_API_KEY);
const runpodUrl = `http://127.0.0.1:${runpod.port}`;
let stack: Stack | undefined;
const stopEverything = async () => {
  await stack?.stop();
  await runpod.close();
  rmSync(stateDir, { recursive: true, force: true });
};
cleanUpOnSignals(stopEverything);
try {
  stack = await startStack({ stateDir, ports: { worker: 0, s3: 0, runner: 0 }, vars: { RUNPOD_API_BASE: runpodUrl } });
  const maker = new JobMaker(stack.workerUrl, stack.secrets.ADMIN_TOKEN, "bench", runpodUrl);
  const contract = await contractImages(maker, stack.workerUrl);
  const legacy = await legacyBytes(maker);
  const report = await new EaselClient({ baseUrl: stack.workerUrl, adminToken: stack.secrets.ADMIN_TOKEN }).reports.storage();

  console.log("Each row: a webhook POSTed to `wrangler dev` until its answer (verify, JobAssembler, HEAD or upload, D1 write).\n");
  console.log("| webhook | count | body bytes | median ms | p90 ms |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  console.log(row("`image` (contract, signed; bytes already in the bucket)", contract));
  console.log(row("legacy per-image message with base64 `data` (1.10 MB image), legacy URL", legacy));
  console.log(`\nD1 after ${report.overall.images} images: ${report.overall.bytesInD1} bytes of image data, ${report.overall.rate}% S3-only, ${report.overall.metadataBytesPerImage} bytes of metadata per image row.`);
} finally {
  await stopEverything();
}
