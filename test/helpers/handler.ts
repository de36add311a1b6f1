import { env } from "cloudflare:workers";
import type { HandlerInput } from "../../schema/contract/index.js";
import { assemblerFor } from "../../workers/assembler/assembler-for.js";
import { signWebhook } from "../../workers/services/webhook-signing.js";
import { api, createApiKey, createJob } from "./api.js";
import { pngBytes, sha256Hex } from "./images.js";
import { dispatchedRun } from "./runpod.js";

/** Plays the GPU handler's side of the contract: PUT to the presigned URL, then signed webhooks. */
export class SimulatedHandler {
  private sent = 0;
  constructor(readonly input: HandlerInput) {}

  /** `callback.legacy_url`: the route with the job's token, for legacy handlers that cannot sign. */
  get legacyCallbackPath(): string {
    const url = new URL(this.input.callback.legacy_url!);
    return `${url.pathname}${url.search}`;
  }

  /** `callback.url`: signed contract events only. */
  get callbackPath(): string {
    return new URL(this.input.callback.url).pathname;
  }

  /** Uploads image `index` through its presigned PUT and returns the `image` event's metadata. */
  async upload(index: number, bytes = pngBytes(64, 48, 2048, index + 1)) {
    const output = this.input.outputs.find((target) => target.index === index)!;
    const put = await fetch(output.upload_url!, { method: "PUT", headers: output.headers, body: bytes });
    if (!put.ok) throw new Error(`presigned PUT answered ${put.status}: ${await put.text()}`);
    return { index, key: output.key, size: bytes.byteLength, content_type: "image/png" as const, width: 64, height: 48, sha256: await sha256Hex(bytes) };
  }

  async send(body: unknown, options: { webhookId?: string; secret?: string; timestamp?: Date; path?: string } = {}) {
    const text = JSON.stringify(body);
    const headers = await signWebhook({
      secret: options.secret ?? this.input.callback.secret,
      webhookId: options.webhookId ?? `msg_${this.input.job_id}_${++this.sent}`,
      timestamp: options.timestamp ?? new Date(),
      body: text,
    });
    return api(options.path ?? this.callbackPath, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: text });
  }

  /** The legacy way: no signature, the per-job token in the URL. */
  sendUnsigned(body: unknown) {
    return api(this.legacyCallbackPath, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }
}

/** A job of `key` created with `body` and dispatched: RunPod's run of it, a handler to play it, and its JobAssembler. */
export async function dispatchJob(key: string, body: unknown) {
  const job = await createJob(key, body);
  const run = await dispatchedRun(job.id);
  return { job, run, handler: new SimulatedHandler(run.body.input), stub: assemblerFor(env, job.id) };
}

/** The same for a new API key of `owner`. */
export async function startJobOf(owner: string, body: unknown) {
  const key = await createApiKey(owner);
  return { key, ...(await dispatchJob(key, body)) };
}
