export type AppEnv = {
  Bindings: Env;
  Variables: { owner: string; apiKeyId: string };
};

/** Limits and modes read from the environment, with their defaults in one place. */
export function settings(env: Env) {
  return {
    maxImageBytes: Number(env.MAX_IMAGE_BYTES || 20 * 1024 * 1024),
    jobTimeoutMs: Number(env.JOB_TIMEOUT_SECONDS || 900) * 1000,
    runpodTimeoutMs: Number(env.RUNPOD_REQUEST_TIMEOUT_MS || 10_000),
    runpodApiBase: (env.RUNPOD_API_BASE || "https://api.runpod.ai").replace(/\/+$/, ""),
    publicBaseUrl: env.PUBLIC_BASE_URL.replace(/\/+$/, ""),
  };
}
