import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

/** The Worker's own secrets for local runs: made once at random, kept in the state folder (the store's come with it). */
export type LocalSecrets = {
  RUNPOD_API_KEY: string;
  WEBHOOK_SIGNING_KEY: string;
  ADMIN_TOKEN: string;
};

const SECRET_NAMES = ["RUNPOD_API_KEY", "WEBHOOK_SIGNING_KEY", "ADMIN_TOKEN"] as const;

const random = (bytes: number) => randomBytes(bytes).toString("base64url");

export function loadOrCreateSecrets(file: string): LocalSecrets {
  const existing = existsSync(file) ? parseEnvFile(readFileSync(file, "utf8")) : {};
  const secrets: LocalSecrets = {
    RUNPOD_API_KEY: existing.RUNPOD_API_KEY || `local-runpod-${random(18)}`,
    WEBHOOK_SIGNING_KEY: existing.WEBHOOK_SIGNING_KEY || random(32),
    ADMIN_TOKEN: existing.ADMIN_TOKEN || `local-admin-${random(18)}`,
  };
  const text = SECRET_NAMES.map((name) => `${name}=${secrets[name]}`).join("\n");
  if (!existsSync(file) || readFileSync(file, "utf8").trim() !== text) {
    writeFileSync(file, `${text}\n`, { mode: 0o600 });
  }
  return secrets;
}

function parseEnvFile(text: string): Partial<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/);
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}
