import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { freePort } from "./scripts/stack/ports.js";

// The Worker's secrets in tests. wrangler reads secrets from process.env; bindings below set the rest.
const TEST_SECRETS = {
  RUNPOD_API_KEY: "test-runpod-key",
  S3_ACCESS_KEY_ID: "S3RVER",
  S3_SECRET_ACCESS_KEY: "S3RVER",
  WEBHOOK_SIGNING_KEY: "test-signing-key-0123456789abcdef",
  ADMIN_TOKEN: "test-admin-token",
};

/**
 * The Worker under vitest's Workers pool, with a real S3 server and a RunPod stand-in
 * (test/global-setup.ts). The reliability suite (vitest.reliability.config.ts) reuses it with its
 * own files and a creation limit its 50-job storm does not reach.
 */
export async function workersTestConfig(options: { include: string[]; jobRateLimit: number }) {
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
          },
        },
      }),
    ],
    test: {
      include: options.include,
      globalSetup: ["./test/global-setup.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
    },
  };
}

// Lower than wrangler.toml's limit, so a test can reach it quickly.
export default defineConfig(() => workersTestConfig({ include: ["test/{unit,integration,assembler}/**/*.test.ts", "packages/client/test/**/*.test.ts"], jobRateLimit: 10 }));
