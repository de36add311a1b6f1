import { and, eq, isNull } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { apiKeys } from "../../schema/d1.js";
import { newId, randomToken, sha256Hex } from "./hashing.js";

const KEY_PREFIX = "easel_sk_";

/** Creates a key for `owner`. The key itself is returned once; only its hash is stored. */
export async function createApiKey(db: DrizzleD1Database, owner: string) {
  const key = `${KEY_PREFIX}${randomToken(32)}`;
  const id = newId("key");
  await db.insert(apiKeys).values({ id, owner, keyHash: await sha256Hex(key), keyPrefix: key.slice(0, 14) });
  return { id, owner, key };
}

export async function findApiKey(db: DrizzleD1Database, key: string) {
  if (!key.startsWith(KEY_PREFIX)) return null;
  const [row] = await db
    .select({ id: apiKeys.id, owner: apiKeys.owner })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, await sha256Hex(key)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row ?? null;
}
