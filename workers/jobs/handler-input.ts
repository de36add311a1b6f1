import { CONTRACT_VERSION, VOLUME_MOUNT_PATH, type HandlerInput } from "../../schema/contract/index.js";
import type { JobRow } from "../../schema/d1.js";
import { settings } from "../env.js";
import { deriveCallbackToken, deriveJobWebhookSecret, type TokenRoute } from "../services/webhook-signing.js";
import { outputKey } from "../services/object-keys.js";
import type { ObjectStore } from "../services/storage.js";

const OUTPUT_CONTENT_TYPE = "image/png";

/**
 * Where the job's webhooks go. The v1 URL carries no token (a leaked log line cannot forge a
 * contract event); legacy handlers and RunPod each get the same route with a token of their own.
 */
export async function callbackUrls(env: Env, jobId: string) {
  const base = settings(env).publicBaseUrl;
  const generation = `${base}/api/webhooks/generation/${jobId}`;
  const tokenQuery = async (route: TokenRoute) => `?token=${encodeURIComponent(await deriveCallbackToken(env.WEBHOOK_SIGNING_KEY, jobId, route))}`;
  return {
    signed: generation,
    legacy: `${generation}${await tokenQuery("legacy-callback")}`,
    runpod: `${base}/api/webhooks/runpod/${jobId}${await tokenQuery("runpod")}`,
  };
}

/** Contract v1: everything a handler needs, presigned, so it never holds store credentials. */
export async function buildHandlerInput(env: Env, store: ObjectStore, job: JobRow): Promise<HandlerInput> {
  const params = job.params as Record<string, unknown> & { num_images: number };
  const expiresInSeconds = Math.ceil((job.deadlineAt - Date.now()) / 1000) + 60;
  const outputs = await Promise.all(
    Array.from({ length: job.expectedImages }, async (_, index) => {
      const key = outputKey(job.owner, job.id, index, OUTPUT_CONTENT_TYPE);
      if (!store.capabilities.canPresign) return { index, key, headers: {} };
      const upload = await store.presignPut(key, { contentType: OUTPUT_CONTENT_TYPE, expiresInSeconds });
      return { index, key, upload_url: upload.url, headers: upload.headers };
    }),
  );
  const inputs = job.type === "style-transfer" ? await inputImages(store, params, expiresInSeconds) : {};
  const callback = await callbackUrls(env, job.id);
  return {
    contract: CONTRACT_VERSION,
    job_id: job.id,
    type: job.type,
    params: {
      prompt: String(params.prompt ?? ""),
      negative_prompt: String(params.negative_prompt ?? ""),
      width: Number(params.width),
      height: Number(params.height),
      steps: Number(params.steps),
      seed: Number(params.seed),
      num_images: job.expectedImages,
      ...(job.type === "style-transfer" ? { strength: Number(params.strength) } : {}),
    },
    inputs,
    outputs,
    ...(store.capabilities.canPresign ? {} : { network_volume: { mount_path: VOLUME_MOUNT_PATH } }),
    deadline_at: new Date(job.deadlineAt).toISOString(),
    callback: { url: callback.signed, secret: await deriveJobWebhookSecret(env.WEBHOOK_SIGNING_KEY, job.id), legacy_url: callback.legacy },
  };
}

/** Presigned GETs, or on a network volume each input's path on the mount: inputs never travel inline. */
async function inputImages(store: ObjectStore, params: Record<string, unknown>, expiresInSeconds: number): Promise<HandlerInput["inputs"]> {
  const style = String(params.style_image);
  const content = String(params.content_image);
  if (!store.capabilities.canPresign) {
    return { style_image_path: `${VOLUME_MOUNT_PATH}/${style}`, content_image_path: `${VOLUME_MOUNT_PATH}/${content}` };
  }
  return {
    style_image_url: await store.presignGet(style, { expiresInSeconds }),
    content_image_url: await store.presignGet(content, { expiresInSeconds }),
  };
}
