import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            PUBLIC_BASE_URL: "https://easel.test",
            RUNPOD_API_BASE: "https://runpod.test",
            RUNPOD_API_KEY: "test-runpod-key",
            S3_ACCESS_KEY_ID: "S3RVER",
            S3_SECRET_ACCESS_KEY: "S3RVER",
            S3_BUCKET: "easel-test",
            WEBHOOK_SIGNING_KEY: "test-signing-key-0123456789abcdef",
            ADMIN_TOKEN: "test-admin-token",
          },
        },
      }),
    ],
    test: {
      include: ["test/{unit,integration,assembler}/**/*.test.ts"],
      globalSetup: ["./test/global-setup.ts"],
      setupFiles: ["./test/apply-migrations.ts"],
    },
  };
});
