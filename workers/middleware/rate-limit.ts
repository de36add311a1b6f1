import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env.js";
import { ApiError } from "../errors.js";

/** Job creation per API key, counted by the Workers rate-limiting binding (limit and period in wrangler.toml). */
export const limitJobCreation = createMiddleware<AppEnv>(async (c, next) => {
  const { success } = await c.env.JOB_RATE_LIMITER.limit({ key: c.get("apiKeyId") });
  if (!success) {
    c.header("retry-after", "60");
    throw new ApiError("rate_limited", "too many jobs created with this API key; retry in a minute");
  }
  await next();
});
