import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import type { Database } from "../db.js";
import type { ApiKeyInfo, ApiKeyList, CreateApiKeyRequest, CreatedApiKey, ListApiKeysQuery } from "../../schema/contract/index.js";
import { apiKeys, type ApiKeyRow } from "../../schema/d1.js";
import { ApiError } from "../errors.js";
import { newId, randomToken, sha256Hex } from "./hashing.js";
import { iso, isoOrNull } from "./iso-time.js";
import { afterCursor, pageOf } from "./page-cursor.js";

const KEY_PREFIX = "easel_sk_";

export function apiKeyInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id, owner: row.owner, name: row.name, prefix: row.keyPrefix,
    createdAt: iso(row.createdAt), expiresAt: isoOrNull(row.expiresAt), revokedAt: isoOrNull(row.revokedAt),
  };
}

/** Creates a key for `owner`. The key itself is returned once; only its hash is stored. */
export async function createApiKey(db: Database, request: CreateApiKeyRequest, now = Date.now()): Promise<CreatedApiKey> {
  const expiresAt = request.expiresAt === undefined ? null : Date.parse(request.expiresAt);
  if (expiresAt !== null && expiresAt <= now) {
    throw new ApiError("validation_failed", "expiresAt is in the past", [{ path: "expiresAt", message: "a time in the future" }]);
  }
  const key = `${KEY_PREFIX}${randomToken(32)}`;
  const [row] = await db
    .insert(apiKeys)
    .values({ id: newId("key"), owner: request.owner, name: request.name ?? null, keyHash: await sha256Hex(key), keyPrefix: key.slice(0, 14), createdAt: now, expiresAt })
    .returning();
  return { ...apiKeyInfo(row!), key };
}

/** The key's id and owner when it is known, not revoked and not expired; checked on every request, so a revocation holds at once. */
export async function findApiKey(db: Database, key: string, now = Date.now()) {
  if (!key.startsWith(KEY_PREFIX)) return null;
  const [row] = await db
    .select({ id: apiKeys.id, owner: apiKeys.owner })
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, await sha256Hex(key)), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))))
    .limit(1);
  return row ?? null;
}

export async function getApiKey(db: Database, id: string): Promise<ApiKeyRow | null> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row ?? null;
}

/** Newest first, optionally one owner's; revoked and expired keys included (their dates say so). */
export async function listApiKeys(db: Database, query: ListApiKeysQuery): Promise<ApiKeyList> {
  const read = await db
    .select()
    .from(apiKeys)
    .where(and(query.owner ? eq(apiKeys.owner, query.owner) : undefined, afterCursor(apiKeys, query.cursor)))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(query.limit + 1);
  const { rows, nextCursor } = pageOf(read, query.limit);
  return { keys: rows.map(apiKeyInfo), nextCursor };
}

/** Revokes the key (the first revocation time stays); null when there is no such key. */
export async function revokeApiKey(db: Database, id: string, now = Date.now()): Promise<ApiKeyRow | null> {
  await db.update(apiKeys).set({ revokedAt: now }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  return getApiKey(db, id);
}
