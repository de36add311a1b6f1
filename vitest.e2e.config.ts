import { defineConfig } from "vitest/config";

/**
 * The end-to-end suite runs in plain Node against the real processes (wrangler dev, the runner and
 * its Python handler, an S3 server), started once per run by its global setup, as a stack chosen
 * with --mode (package.json runs each in turn):
 *   presigned             the default: presigned URLs, s3rver
 *   presigned-versitygw   presigned URLs on versitygw, which refuses anonymous requests
 *   network-volume        a store that cannot presign, the handler writing to the folder versitygw serves
 * One file at a time: they share the stack, and the machine may have two cores.
 */
const STACKS: Record<string, string[]> = {
  presigned: ["jobs", "failures", "gallery", "uploads-presigned", "client-webhooks", "api-schema", "cli"],
  "presigned-versitygw": ["jobs", "uploads-presigned", "store-access"],
  "network-volume": ["jobs", "jobs-network-volume", "gallery", "uploads-network-volume", "store-access", "cli"],
};

export default defineConfig(({ mode }) => {
  const stack = mode === "test" ? "presigned" : mode;
  const files = STACKS[stack];
  if (!files) throw new Error(`no end-to-end stack "${stack}": choose --mode ${Object.keys(STACKS).join(", ")}`);
  // Read by test/e2e/global-setup.ts, which runs in this process.
  process.env.EASEL_E2E_STACK = stack;
  return {
    test: {
      include: files.map((name) => `test/e2e/${name}.test.ts`),
      globalSetup: ["./test/e2e/global-setup.ts"],
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 180_000,
    },
  };
});
