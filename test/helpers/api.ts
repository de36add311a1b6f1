import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import type { HandlerInput, Job } from "../../schema/contract/index.js";
import { createApp } from "../../workers/app.js";

export const BASE = "https://easel.test";
const ADMIN = { authorization: "Bearer test-admin-token" };

export function api(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

/** The app under another env: how a test stages a Durable Object or configuration that misbehaves. */
export async function apiWith(overrides: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  return createApp().fetch(new Request(`${BASE}${path}`, init), { ...env, ...overrides }, createExecutionContext());
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return api(path, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
}

export async function createApiKey(owner: string): Promise<string> {
  const response = await postJson("/api/admin/keys", { owner }, ADMIN);
  if (response.status !== 201) throw new Error(`admin/keys answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

export async function createJob(key: string, body: unknown, headers: Record<string, string> = {}): Promise<Job> {
  const response = await postJson("/api/jobs", body, { ...bearer(key), ...headers });
  if (response.status !== 202) throw new Error(`POST /api/jobs answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Job;
}

export async function getJob(key: string, id: string): Promise<Job> {
  const response = await api(`/api/jobs/${id}`, { headers: bearer(key) });
  if (response.status !== 200) throw new Error(`GET /api/jobs/${id} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Job;
}

export async function storageReport() {
  const response = await api("/api/admin/storage-report", { headers: ADMIN });
  return (await response.json()) as {
    overall: { images: number; s3Only: number; bytesInD1: number; rate: number; metadataBytesPerImage: number };
    byType: Record<string, { images: number; s3Only: number; bytesInD1: number; rate: number }>;
  };
}

export const textToImage = (prompt = "a lighthouse at dusk", numImages = 2) => ({
  type: "text-to-image" as const,
  input: { prompt, width: 512, height: 512, steps: 4, seed: 7, num_images: numImages },
});

export type Dispatched = { endpoint: string; runpodId: string; canceled: boolean; body: { input: HandlerInput; webhook: string } };
