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

/** Client routes: `Authorization: Bearer easel_sk_…`; sets the caller's owner. */
export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const key = bearer(c.req.header("authorization"));
  if (!key) throw new ApiError("unauthorized", "missing API key: send Authorization: Bearer <key>");
  const found = await findApiKey(database(c.env), key);
  if (!found) throw new ApiError("unauthorized", "invalid API key");
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
