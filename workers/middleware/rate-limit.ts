import { createMiddleware } from "hono/factory";
import { settings, type AppEnv } from "../env.js";
import { ApiError } from "../errors.js";

// The policy's name in the RateLimit fields (draft-ietf-httpapi-ratelimit-headers).
const POLICY = "jobs";

/** Job creation answers carry the policy: `RateLimit-Policy: "jobs";q=<limit>;w=<seconds>`. */
export const announceJobRateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const { limit, periodSeconds } = settings(c.env).jobRateLimit;
  c.header("ratelimit-policy", `"${POLICY}";q=${limit};w=${periodSeconds}`);
  await next();
});

/**
 * Counts one new job against the API key's quota (the Workers rate-limiting binding); called only
 * for a valid request that is not an idempotent replay. Past the quota: 429 with `RateLimit` and
 * `Retry-After` (the binding tells no reset time, so the whole window).
 */
export async function countNewJob(env: Env, apiKeyId: string): Promise<void> {
  const { success } = await env.JOB_RATE_LIMITER.limit({ key: apiKeyId });
  if (success) return;
  const { periodSeconds } = settings(env).jobRateLimit;
  throw new ApiError("rate_limited", "too many jobs created with this API key; retry after the window", undefined, {
    "retry-after": String(periodSeconds),
    ratelimit: `"${POLICY}";r=0;t=${periodSeconds}`,
  });
}
