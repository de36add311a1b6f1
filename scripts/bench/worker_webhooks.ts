import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HandlerInput } from "../../schema/contract/index.js";
import { Webhook } from "standardwebhooks";
import { startFakeRunpod } from "../../test/node/fake-runpod.js";
import { pngBytes, sha256Hex, toBase64 } from "../../test/helpers/images.js";
import { EaselClient } from "../stack/easel-client.js";
import { loadOrCreateSecrets } from "../stack/local-secrets.js";
import { statePaths } from "../stack/paths.js";
import { startStack } from "../stack/stack.js";

// The Worker's side of delivery, measured through the real local stack (wrangler dev with local
// D1 and Durable Objects, s3rver): the bench plays the GPU handler, so only the Worker is timed.
const JOBS = 5;
const IMAGES_PER_JOB = 8;
const LEGACY_IMAGES = 6;
const SEED_IMAGE_BYTES = 1_153_434;

type Sample = { ms: number; bytes: number };

const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

async function dispatched(runpodUrl: string, jobId: string): Promise<HandlerInput> {
  const run = (await (await fetch(`${runpodUrl}/_test/runs/${jobId}`)).json()) as { body: { input: HandlerInput } };
  return run.body.input;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Sample> {
  const started = performance.now();
  const response = await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
  return { ms: performance.now() - started, bytes: Buffer.byteLength(body) };
}

async function contractImages(api: EaselClient, runpodUrl: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let job = 0; job < JOBS; job++) {
    const created = await api.createJob({ type: "text-to-image", input: { prompt: `bench ${job}`, num_images: IMAGES_PER_JOB } });
    const input = await dispatched(runpodUrl, created.id);
    for (const output of input.outputs) {
      const bytes = pngBytes(1024, 1024, 96_000, output.index + 1);
      await fetch(output.upload_url!, { method: "PUT", headers: output.headers, body: bytes });
      const image = { index: output.index, key: output.key, size: bytes.byteLength, content_type: "image/png", width: 1024, height: 1024, sha256: await sha256Hex(bytes) };
      const body = JSON.stringify({ type: "image", job_id: input.job_id, total_images: IMAGES_PER_JOB, image });
      const webhookId = `msg_${input.job_id}_${output.index}`;
      const timestamp = new Date();
      const signature = new Webhook(input.callback.secret).sign(webhookId, timestamp, body);
      const headers = { "webhook-id": webhookId, "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)), "webhook-signature": signature };
      samples.push(await post(input.callback.url, body, headers));
    }
  }
  return samples;
}

async function legacyBytes(api: EaselClient, runpodUrl: string): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let job = 0; job < LEGACY_IMAGES; job++) {
    const created = await api.createJob({ type: "text-to-image", input: { prompt: `legacy ${job}`, num_images: 1 } });
    const input = await dispatched(runpodUrl, created.id);
    const image = { filename: "ComfyUI_00001_.png", subfolder: "", type: "output", data: toBase64(pngBytes(1024, 1024, SEED_IMAGE_BYTES, job)), format: "png" };
    samples.push(await post(input.callback.url, JSON.stringify({ job_id: input.job_id, image_index: 0, total_images: 1, ...image }), {}));
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
const stack = await startStack({ stateDir, ports: { worker: 0, s3: 0, runner: 0 }, vars: { RUNPOD_API_BASE: runpodUrl } });
try {
  const admin = new EaselClient(stack.workerUrl);
  const { key } = await admin.createApiKey(stack.secrets.ADMIN_TOKEN, "bench");
  const api = admin.withKey(key);
  const contract = await contractImages(api, runpodUrl);
  const legacy = await legacyBytes(api, runpodUrl);
  const report = await admin.storageReport(stack.secrets.ADMIN_TOKEN);

  console.log("Each row: a signed webhook POSTed to `wrangler dev` until its answer (verify, JobAssembler, HEAD or upload, D1 write).\n");
  console.log("| webhook | count | body bytes | median ms | p90 ms |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  console.log(row("`image` (contract; bytes already in the bucket)", contract));
  console.log(row("legacy per-image message with base64 `data` (1.10 MB image)", legacy));
  console.log(`\nD1 after ${report.overall.images} images: ${report.overall.bytesInD1} bytes of image data, ${report.overall.rate}% S3-only, ${report.overall.metadataBytesPerImage} bytes of metadata per image row.`);
} finally {
  await stack.stop();
  await runpod.close();
  rmSync(stateDir, { recursive: true, force: true });
}
