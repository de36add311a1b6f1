import { defineConfig } from "vitest/config";
import { GLOBAL_SETUP, workersProject } from "./vitest.config.js";

// The reliability suite (test/reliability/): one file that drives many jobs and prints its figures.
export default defineConfig(async () => {
  const project = await workersProject({ name: "reliability", include: ["test/reliability/**/*.test.ts"], jobRateLimit: 1_000 });
  return { ...project, test: { ...project.test, globalSetup: GLOBAL_SETUP, testTimeout: 240_000, hookTimeout: 120_000 } };
});
