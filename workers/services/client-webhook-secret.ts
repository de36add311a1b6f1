import { eq, sql } from "drizzle-orm";
import type { Database } from "../db.js";
import { apiKeys, type ApiKeyRow } from "../../schema/d1.js";
import { deriveWebhookSecret } from "./key-derivation.js";

/** After a rotation, deliveries carry signatures under both secrets this long, so receivers can switch over. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/**
 * The Standard Webhooks secret that signs Easel's webhooks to the clients of one API key. It is
 * derived, not stored: D1 holds only the version that a rotation bumps.
 */
export function clientWebhookSecret(signingKey: string, keyId: string, version: number): Promise<string> {
  return deriveWebhookSecret(signingKey, "client-webhook-secret", `${keyId}\u0000${version}`);
}

/** The secrets a delivery is signed with now: the current one, and the previous one during the overlap. */
export async function signingSecrets(signingKey: string, key: Pick<ApiKeyRow, "id" | "webhookSecretVersion" | "webhookSecretRotatedAt">, now = Date.now()) {
  const secrets = [await clientWebhookSecret(signingKey, key.id, key.webhookSecretVersion)];
  const rotatedAt = key.webhookSecretRotatedAt;
  if (key.webhookSecretVersion > 1 && rotatedAt !== null && now - rotatedAt < ROTATION_OVERLAP_MS) {
    secrets.push(await clientWebhookSecret(signingKey, key.id, key.webhookSecretVersion - 1));
  }
  return secrets;
}

/** Moves the key to a new secret; returns the new version. */
export async function rotateClientWebhookSecret(db: Database, keyId: string, now = Date.now()): Promise<number> {
  const [row] = await db
    .update(apiKeys)
    .set({ webhookSecretVersion: sql`${apiKeys.webhookSecretVersion} + 1`, webhookSecretRotatedAt: now })
    .where(eq(apiKeys.id, keyId))
    .returning({ version: apiKeys.webhookSecretVersion });
  return row!.version;
}
