import { createMiddleware } from "hono/factory";
import { database } from "../db.js";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";
import { findApiKey } from "../services/api-keys.js";
import { constantTimeEqual } from "../services/hashing.js";

function bearer(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)$/i);
  return match?.[1] ?? null;
}

/** The API key's owner and id, from `Authorization: Bearer easel_sk_…`; 401 otherwise. */
export async function authenticateApiKey(env: Env, authorization: string | undefined) {
  const key = bearer(authorization);
  if (!key) throw new ApiError("unauthorized", "missing API key: send Authorization: Bearer <key>");
  const found = await findApiKey(database(env), key);
  if (!found) throw new ApiError("unauthorized", "invalid API key");
  return found;
}

/** Client routes: sets the caller's owner. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const found = await authenticateApiKey(c.env, c.req.header("authorization"));
  c.set("owner", found.owner);
  c.set("apiKeyId", found.id);
  await next();
});

/** Operator routes: `Authorization: Bearer <ADMIN_TOKEN>`. */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const token = bearer(c.req.header("authorization"));
  if (!token) throw new ApiError("unauthorized", "missing admin token");
  if (!c.env.ADMIN_TOKEN || !constantTimeEqual(token, c.env.ADMIN_TOKEN)) {
    throw new ApiError("forbidden", "invalid admin token");
  }
  await next();
});
