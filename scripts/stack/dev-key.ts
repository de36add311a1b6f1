import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { EaselClient, EaselError } from "@easel/client";

const DEV_OWNER = "dev";

export type DevKey = { id: string; owner: string; key: string; createdAt: string };

/**
 * The development API key: created once through the admin API (shown once, stored hashed by the
 * Worker) and kept in the state folder; a kept key the Worker no longer knows is replaced.
 */
export async function loadOrCreateDevKey(workerUrl: string, adminToken: string, file: string): Promise<{ devKey: DevKey; created: boolean }> {
  if (existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, "utf8")) as DevKey;
    if (await isAccepted(workerUrl, kept.key)) return { devKey: kept, created: false };
  }
  const made = await new EaselClient({ baseUrl: workerUrl, adminToken }).keys.create({ owner: DEV_OWNER, name: "npm start" });
  const devKey = { id: made.id, owner: made.owner, key: made.key, createdAt: made.createdAt };
  writeFileSync(file, `${JSON.stringify(devKey, null, 2)}\n`, { mode: 0o600 });
  return { devKey, created: true };
}

async function isAccepted(workerUrl: string, apiKey: string): Promise<boolean> {
  try {
    await new EaselClient({ baseUrl: workerUrl, apiKey }).keys.current();
    return true;
  } catch (error) {
    if (error instanceof EaselError && error.status === 401) return false;
    throw error;
  }
}
