import { CONTRACT_VERSION, NETWORK_VOLUME_MOUNT_PATH, type HandlerInput } from "../../schema/contract/index.js";
import type { JobRow } from "../../schema/d1.js";
import { settings } from "../env.js";
import { deriveCallbackToken, deriveJobWebhookSecret } from "../services/webhook-signing.js";
import { outputKey } from "../services/object-keys.js";
import type { ObjectStore } from "../services/storage.js";

const OUTPUT_CONTENT_TYPE = "image/png";

export async function callbackUrls(env: Env, jobId: string) {
  const token = await deriveCallbackToken(env.WEBHOOK_SIGNING_KEY, jobId);
  const base = settings(env).publicBaseUrl;
  const query = `?token=${encodeURIComponent(token)}`;
  return {
    generation: `${base}/api/webhooks/generation/${jobId}${query}`,
    runpod: `${base}/api/webhooks/runpod/${jobId}${query}`,
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
  const { generation } = await callbackUrls(env, job.id);
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
    ...(store.capabilities.canPresign ? {} : { network_volume: { mount_path: NETWORK_VOLUME_MOUNT_PATH } }),
    deadline_at: new Date(job.deadlineAt).toISOString(),
    callback: { url: generation, secret: await deriveJobWebhookSecret(env.WEBHOOK_SIGNING_KEY, job.id) },
  };
}

/** Presigned GETs, or on a network volume each input's path on the mount: inputs never travel inline. */
async function inputImages(store: ObjectStore, params: Record<string, unknown>, expiresInSeconds: number): Promise<HandlerInput["inputs"]> {
  const style = String(params.style_image);
  const content = String(params.content_image);
  if (!store.capabilities.canPresign) {
    return { style_image_path: `${NETWORK_VOLUME_MOUNT_PATH}/${style}`, content_image_path: `${NETWORK_VOLUME_MOUNT_PATH}/${content}` };
  }
  return {
    style_image_url: await store.presignGet(style, { expiresInSeconds }),
    content_image_url: await store.presignGet(content, { expiresInSeconds }),
  };
}
