import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { freePort } from "./scripts/stack/ports.js";
import { S3RVER_CREDENTIALS } from "./scripts/stack/s3rver.js";

// The Worker's secrets in tests. wrangler reads secrets from process.env; bindings below set the rest.
const TEST_SECRETS = {
  RUNPOD_API_KEY: "test-runpod-key",
  S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  WEBHOOK_SIGNING_KEY: "test-signing-key-0123456789abcdef",
  ADMIN_TOKEN: "test-admin-token",
};

/**
 * The Worker under vitest's Workers pool, as one project of a run, with a real S3 server and a
 * RunPod stand-in (test/global-setup.ts, run once for every project). `bindings` change the
 * deployment the whole project sees, Worker and JobAssembler alike (the store's mode). The
 * reliability suite (vitest.reliability.config.ts) reuses it with its own files and a creation
 * limit its 50-job storm does not reach.
 */
export async function workersProject(options: { name: string; include: string[]; jobRateLimit: number; bindings?: Record<string, string> }) {
  Object.assign(process.env, TEST_SECRETS);
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  // The Worker's bindings need the ports of the servers that test/global-setup.ts starts.
  process.env.EASEL_TEST_S3_PORT ??= String(await freePort());
  process.env.EASEL_TEST_RUNPOD_PORT ??= String(await freePort());
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          ratelimits: { JOB_RATE_LIMITER: { namespace_id: "1001", simple: { limit: options.jobRateLimit, period: 60 } } },
          bindings: {
            TEST_MIGRATIONS: migrations,
            ...TEST_SECRETS,
            ENVIRONMENT: "local",
            PUBLIC_BASE_URL: "https://easel.test",
            RUNPOD_API_BASE: `http://127.0.0.1:${process.env.EASEL_TEST_RUNPOD_PORT}`,
            S3_ENDPOINT: `http://127.0.0.1:${process.env.EASEL_TEST_S3_PORT}`,
            S3_BUCKET: "easel-test",
            JOB_TIMEOUT_SECONDS: "600",
            RUNPOD_REQUEST_TIMEOUT_MS: "1000",
            // The configured maximum, as deployed: the legacy bytes path is tested at it.
            MAX_IMAGE_BYTES: String(20 * 1024 * 1024),
            JOB_RATE_LIMIT: String(options.jobRateLimit),
            ...options.bindings,
          },
        },
      }),
    ],
    test: { name: options.name, include: options.include, setupFiles: ["./test/apply-migrations.ts"] },
  };
}

export const GLOBAL_SETUP = ["./test/global-setup.ts"];

// The job rate limit is lower than wrangler.toml's, so a test can reach it quickly.
export default defineConfig(async () => ({
  test: {
    globalSetup: GLOBAL_SETUP,
    projects: [
      await workersProject({
        name: "presigned",
        include: ["test/{unit,integration,assembler}/**/*.test.ts", "packages/client/test/**/*.test.ts"],
        jobRateLimit: 10,
      }),
      // A store that cannot presign (RunPod's network volume), as deployed: S3_MODE for the whole Worker.
      await workersProject({ name: "network-volume", include: ["test/network-volume/**/*.test.ts"], jobRateLimit: 10, bindings: { S3_MODE: "network-volume" } }),
    ],
  },
}));
