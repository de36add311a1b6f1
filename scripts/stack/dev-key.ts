import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { EaselApiError, EaselClient } from "./easel-client.js";

export const DEV_OWNER = "dev";

export type DevKey = { id: string; owner: string; key: string; createdAt: string };

/**
 * The development API key: created once through the admin API (shown once, stored hashed by the
 * Worker) and kept in the state folder; a kept key the Worker no longer knows is replaced.
 */
export async function loadOrCreateDevKey(api: EaselClient, adminToken: string, file: string): Promise<{ devKey: DevKey; created: boolean }> {
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, "utf8")) as DevKey;
    if (await isAccepted(api, kept.key)) return { devKey: kept, created: false };
  }
  const made = await api.createApiKey(adminToken, DEV_OWNER);
  const devKey = { ...made, createdAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(devKey, null, 2)}\n`, { mode: 0o600 });
  return { devKey, created: true };
}

async function isAccepted(api: EaselClient, key: string): Promise<boolean> {
  try {
    await api.withKey(key).listJobs("?limit=1");
    return true;
  } catch (error) {
    if (error instanceof EaselApiError && error.status === 401) return false;
    throw error;
  }
}
