import { defineConfig } from "vitest/config";
import { workersTestConfig } from "./vitest.config.js";

// The reliability suite (test/reliability/): one file that drives many jobs and prints its figures.
export default defineConfig(async () => {
  const config = await workersTestConfig({ include: ["test/reliability/**/*.test.ts"], jobRateLimit: 1_000 });
  return { ...config, test: { ...config.test, testTimeout: 240_000, hookTimeout: 120_000 } };
});
