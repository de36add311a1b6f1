export type AppEnv = {
  Bindings: Env;
  Variables: { owner: string; apiKeyId: string };
};

declare global {
  interface Env {
    /** "local" on the local stack and in tests; absent in production, where production-only checks apply. */
    ENVIRONMENT?: string;
  }
}

const seconds = (value: string | undefined, fallback: number) => Number(value || fallback) * 1000;

/** Limits and modes read from the environment, with their defaults in one place. */
export function settings(env: Env) {
  return {
    maxImageBytes: Number(env.MAX_IMAGE_BYTES || 20 * 1024 * 1024),
    jobTimeoutMs: Number(env.JOB_TIMEOUT_SECONDS || 900) * 1000,
    runpodTimeoutMs: Number(env.RUNPOD_REQUEST_TIMEOUT_MS || 10_000),
    runpodApiBase: (env.RUNPOD_API_BASE || "https://api.runpod.ai").replace(/\/+$/, ""),
    publicBaseUrl: env.PUBLIC_BASE_URL.replace(/\/+$/, ""),
    local: env.ENVIRONMENT === "local",
    /** How long an image's display URL (presigned GET, or the Worker's signed URL) lives. */
    displayUrlSeconds: Number(env.IMAGE_URL_SECONDS || 300),
    /** Uploads no job used are deleted this long after they were handed out. */
    uploadRetentionMs: seconds(env.UPLOAD_RETENTION_SECONDS, 24 * 60 * 60),
    /** A job's JobAssembler storage is cleared this long after the job ended (D1 keeps the record). */
    jobStateRetentionMs: seconds(env.JOB_STATE_RETENTION_SECONDS, 7 * 24 * 60 * 60),
    /** The longest `Prefer: wait` holds a job creation. */
    preferWaitMaxMs: seconds(env.PREFER_WAIT_MAX_SECONDS, 60),
    /** Browser origins allowed to call the API (CORS); empty: none. */
    corsOrigins: (env.CORS_ORIGINS || "").split(",").map((origin) => origin.trim()).filter(Boolean),
  };
}
