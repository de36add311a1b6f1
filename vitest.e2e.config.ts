import { defineConfig } from "vitest/config";

// The end-to-end suite runs in plain Node against the real processes (wrangler dev, the runner
// and its Python handler, an S3 server), started once by its global setup. One file at a time:
// they share the stack, and the machine may have two cores.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["./test/e2e/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
