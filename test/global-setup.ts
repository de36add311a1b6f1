import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "@20minutes/s3rver";
import type { TestProject } from "vitest/node";

export const TEST_BUCKET = "easel-test";

/** A real S3 server (SigV4 checked, presigned URLs included) for the whole test run. */
export default async function setup(project: TestProject) {
  const directory = await mkdtemp(join(tmpdir(), "easel-s3-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: TEST_BUCKET, configs: [] }],
  });
  const { port } = await server.run();
  project.provide("s3Port", port);
  project.provide("s3Bucket", TEST_BUCKET);
  return async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    s3Port: number;
    s3Bucket: string;
  }
}
