import { z } from "zod";

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

/** The configuration is wrong: names the variables (never their values, which may be secrets). */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";

  constructor(readonly problems: string[]) {
    super(`the Worker's configuration is invalid: ${problems.join("; ")}`);
  }
}

const LOOPBACK_HOST = /^(localhost|.*\.localhost|127(\.\d{1,3}){3}|\[::1?\]|0\.0\.0\.0)$/i;

const required = z.string({ error: "is not set" }).trim().min(1, "is not set");
const url = required.pipe(z.url({ protocol: /^https?$/, error: "is not an http(s) URL" }));
const wholeNumber = (fallback: number, max: number) =>
  z
    .string()
    .trim()
    .default(String(fallback))
    .transform((value) => (value === "" ? fallback : Number(value)))
    .pipe(z.number({ error: "is not a number" }).int("is not a whole number").min(1, "must be at least 1").max(max, `must be at most ${max}`));

const Variables = z.object({
  ENVIRONMENT: z.string().optional(),
  PUBLIC_BASE_URL: url,
  RUNPOD_API_BASE: z.string().trim().default("").transform((value) => value || "https://api.runpod.ai").pipe(url),
  RUNPOD_API_KEY: required,
  RUNPOD_ENDPOINT_TEXT_TO_IMAGE: required,
  RUNPOD_ENDPOINT_STYLE_TRANSFER: required,
  S3_ENDPOINT: url,
  S3_BUCKET: required,
  S3_ACCESS_KEY_ID: required,
  S3_SECRET_ACCESS_KEY: required,
  S3_FORCE_PATH_STYLE: z.enum(["true", "false", "TRUE", "FALSE", "True", "False", ""], { error: 'is not "true" or "false"' }).optional(),
  S3_MODE: z.enum(["presigned", "network-volume", ""], { error: 'is not "presigned" or "network-volume"' }).optional(),
  WEBHOOK_SIGNING_KEY: required.min(16, "is shorter than 16 characters"),
  ADMIN_TOKEN: required,
  JOB_TIMEOUT_SECONDS: wholeNumber(900, 7 * 24 * 3600),
  MAX_IMAGE_BYTES: wholeNumber(20 * 1024 * 1024, 20 * 1024 * 1024),
  RUNPOD_REQUEST_TIMEOUT_MS: wholeNumber(10_000, 120_000),
  JOB_RATE_LIMIT: wholeNumber(60, 1_000_000),
  JOB_RATE_PERIOD_SECONDS: wholeNumber(60, 3600),
  IMAGE_URL_SECONDS: wholeNumber(300, 7 * 24 * 3600),
  UPLOAD_RETENTION_SECONDS: wholeNumber(24 * 3600, 365 * 24 * 3600),
  JOB_STATE_RETENTION_SECONDS: wholeNumber(7 * 24 * 3600, 365 * 24 * 3600),
  PREFER_WAIT_MAX_SECONDS: wholeNumber(60, 300),
  CORS_ORIGINS: z.string().optional(),
});

// URLs that reach the outside world; a localhost value there is a deploy that forgot a variable.
const PUBLIC_URLS = ["PUBLIC_BASE_URL", "RUNPOD_API_BASE", "S3_ENDPOINT"] as const;

function parseSettings(env: Env) {
  const parsed = Variables.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`));
  }
  const vars = parsed.data;
  const local = vars.ENVIRONMENT === "local";
  if (!local) {
    const loopback = PUBLIC_URLS.filter((name) => LOOPBACK_HOST.test(new URL(vars[name]).hostname));
    if (loopback.length) {
      throw new ConfigurationError(loopback.map((name) => `${name} points at this machine (allowed only with ENVIRONMENT=local)`));
    }
  }
  return {
    /** A local run (the local stack, the tests): loopback URLs are allowed. */
    local,
    maxImageBytes: vars.MAX_IMAGE_BYTES,
    jobTimeoutMs: vars.JOB_TIMEOUT_SECONDS * 1000,
    runpodTimeoutMs: vars.RUNPOD_REQUEST_TIMEOUT_MS,
    runpodApiBase: vars.RUNPOD_API_BASE.replace(/\/+$/, ""),
    publicBaseUrl: vars.PUBLIC_BASE_URL.replace(/\/+$/, ""),
    /** Must match `[[ratelimits]]` JOB_RATE_LIMITER in wrangler.toml: the binding cannot tell its policy. */
    jobRateLimit: { limit: vars.JOB_RATE_LIMIT, periodSeconds: vars.JOB_RATE_PERIOD_SECONDS },
    /** How long an image's display URL (presigned GET, or the Worker's signed URL) lives. */
    displayUrlSeconds: vars.IMAGE_URL_SECONDS,
    /** Uploads no job used are deleted this long after they were handed out. */
    uploadRetentionMs: vars.UPLOAD_RETENTION_SECONDS * 1000,
    /** A job's JobAssembler storage is cleared this long after the job ended (D1 keeps the record). */
    jobStateRetentionMs: vars.JOB_STATE_RETENTION_SECONDS * 1000,
    /** The longest `Prefer: wait` holds a job creation. */
    preferWaitMaxMs: vars.PREFER_WAIT_MAX_SECONDS * 1000,
    /** Browser origins allowed to call the API (CORS); empty: none. */
    corsOrigins: (vars.CORS_ORIGINS ?? "").split(",").map((origin) => origin.trim()).filter(Boolean),
  };
}

export type Settings = ReturnType<typeof parseSettings>;

const parsedByEnv = new WeakMap<object, Settings | ConfigurationError>();

/**
 * The Worker's settings, parsed and checked once per env (the first request of an isolate).
 * Throws ConfigurationError naming every variable that is missing or wrong.
 */
export function settings(env: Env): Settings {
  let parsed = parsedByEnv.get(env);
  if (!parsed) {
    try {
      parsed = parseSettings(env);
    } catch (error) {
      if (!(error instanceof ConfigurationError)) throw error;
      parsed = error;
      console.error(error.message);
    }
    parsedByEnv.set(env, parsed);
  }
  if (parsed instanceof ConfigurationError) throw parsed;
  return parsed;
}
