import { randomUUID } from "node:crypto";
import { EaselClient } from "@easel/client";
import { Webhook } from "standardwebhooks";
import type { HandlerInput, ImageMetadata } from "../../../schema/contract/index.js";
import { sha256Hex } from "../../../test/helpers/images.js";

/**
 * Plays a contract-v1 GPU handler for jobs created through Easel's API: reads the input the
 * Worker dispatched (from the RunPod stand-in that never runs it), PUTs each image to its
 * presigned URL, and makes signed webhooks exactly as the handler does (Standard Webhooks with
 * the job's `callback.secret`, a `msg_` id, the timestamp taken when the request is sent).
 */

/** A webhook ready to send: the route path (with any query) on whichever target, the body, how to sign it. */
export type WebhookRequest = { path: string; body: string; secret: string; webhookId: string };

export type PlayedJob = { jobId: string; runpodJobId: string; input: HandlerInput; images: ImageMetadata[] };

const signers = new Map<string, Webhook>();

/** The Standard Webhooks headers for `request`, signed now. */
export function signedHeaders(request: WebhookRequest): Record<string, string> {
  let signer = signers.get(request.secret);
  if (!signer) signers.set(request.secret, (signer = new Webhook(request.secret)));
  const now = new Date();
  return {
    "content-type": "application/json",
    "webhook-id": request.webhookId,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": signer.sign(request.webhookId, now, request.body),
  };
}

export async function send(baseUrl: string, request: WebhookRequest): Promise<Response> {
  return fetch(`${baseUrl}${request.path}`, { method: "POST", headers: signedHeaders(request), body: request.body });
}

// Job creation is limited to 60 a minute per API key: a fresh key of the same owner every 50 jobs.
const JOBS_PER_KEY = 50;

type OwnerKey = { client: EaselClient; authorization: string };

/** Creates an owner's jobs through the API, with as many of the owner's keys as the rate limit needs. */
export class JobMaker {
  private key: Promise<OwnerKey> | undefined;
  private madeWithKey = 0;

  private readonly admin: EaselClient;

  constructor(
    private readonly workerUrl: string,
    adminToken: string,
    readonly owner: string,
    private readonly runpodUrl: string,
  ) {
    this.admin = new EaselClient({ baseUrl: workerUrl, adminToken });
  }

  private async newKey(): Promise<OwnerKey> {
    const { key } = await this.admin.keys.create({ owner: this.owner });
    return { client: new EaselClient({ baseUrl: this.workerUrl, apiKey: key }), authorization: `Bearer ${key}` };
  }

  // Chosen and counted before any await, so jobs made at once never put more than JOBS_PER_KEY on one key.
  private keyForNextJob(): Promise<OwnerKey> {
    if (!this.key || this.madeWithKey >= JOBS_PER_KEY) {
      this.key = this.newKey();
      this.madeWithKey = 0;
    }
    this.madeWithKey++;
    return this.key;
  }

  /** The API as the owner (reads are not rate-limited). */
  async api(): Promise<EaselClient> {
    return (await (this.key ??= this.newKey())).client;
  }

  /** An `authorization` header of the owner's, for requests the API client does not make. */
  async authorization(): Promise<string> {
    return (await (this.key ??= this.newKey())).authorization;
  }

  /** A text-to-image job of `images` images of `width`×`height`, and what the Worker dispatched for it. */
  async make(images: number, width: number, height: number): Promise<PlayedJob> {
    const { client } = await this.keyForNextJob();
    const job = await client.jobs.create({ type: "text-to-image", input: { prompt: `bench ${this.owner}`, num_images: images, width, height } });
    const run = await fetch(`${this.runpodUrl}/_test/runs/${job.id}`);
    if (!run.ok) throw new Error(`no RunPod dispatch recorded for job ${job.id} (${run.status})`);
    const { runpodId, body } = (await run.json()) as { runpodId: string; body: { input: HandlerInput } };
    return { jobId: job.id, runpodJobId: runpodId, input: body.input, images: [] };
  }
}

/** PUTs `bytes` to the output's presigned URL, as the handler delivers an image, and records its metadata on the job. */
export async function putImage(job: PlayedJob, index: number, bytes: Uint8Array<ArrayBuffer>, width: number, height: number): Promise<ImageMetadata> {
  const output = job.input.outputs.find((candidate) => candidate.index === index);
  if (!output?.upload_url) throw new Error(`job ${job.jobId} has no presigned upload for image ${index}`);
  const put = await fetch(output.upload_url, { method: "PUT", headers: output.headers, body: bytes });
  await put.arrayBuffer();
  if (!put.ok) throw new Error(`PUT of image ${index} of job ${job.jobId} answered ${put.status}`);
  const image = { index, key: output.key, size: bytes.byteLength, content_type: "image/png" as const, width, height, sha256: await sha256Hex(bytes) };
  job.images[index] = image;
  return image;
}

const callbackPath = (job: PlayedJob) => {
  const url = new URL(job.input.callback.url);
  return `${url.pathname}${url.search}`;
};

function webhook(job: PlayedJob, event: Record<string, unknown>): WebhookRequest {
  const body = JSON.stringify({ ...event, job_id: job.jobId, runpod_job_id: job.runpodJobId });
  return { path: callbackPath(job), body, secret: job.input.callback.secret, webhookId: `msg_${randomUUID().replaceAll("-", "")}` };
}

export function imageWebhook(job: PlayedJob, index: number): WebhookRequest {
  const image = job.images[index];
  if (!image) throw new Error(`image ${index} of job ${job.jobId} was never PUT`);
  return webhook(job, { type: "image", total_images: job.input.outputs.length, image });
}

export function completedWebhook(job: PlayedJob): WebhookRequest {
  return webhook(job, { type: "completed", images: job.images.filter(Boolean) });
}
