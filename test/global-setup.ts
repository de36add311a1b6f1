import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "@20minutes/s3rver";
import type { TestProject } from "vitest/node";
import { startFakeRunpod } from "./node/fake-runpod.js";
import { startOutageProxy } from "./node/outage-proxy.js";
import { startWebhookReceiver } from "./node/webhook-receiver.js";

export const TEST_BUCKET = "easel-test";

/**
 * A real S3 server (SigV4 checked, presigned URLs included) behind a proxy that can stage an
 * outage, and a RunPod API stand-in, for the whole run. The ports are chosen in vitest.config.ts, since the Worker's bindings need it too.
 */
export default async function setup(project: TestProject) {
  const directory = await mkdtemp(join(tmpdir(), "easel-s3-"));
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: TEST_BUCKET, configs: [] }],
  });
  const { port } = await s3.run();
  const proxy = await startOutageProxy(port, Number(process.env.EASEL_TEST_S3_PORT));
  const runpod = await startFakeRunpod(Number(process.env.EASEL_TEST_RUNPOD_PORT));
  const receiver = await startWebhookReceiver();
  project.provide("s3Port", proxy.port);
  project.provide("s3Bucket", TEST_BUCKET);
  project.provide("runpodPort", runpod.port);
  project.provide("webhookReceiverPort", receiver.port);
  return async () => {
    await receiver.close();
    await runpod.close();
    await proxy.close();
    await s3.close();
    await rm(directory, { recursive: true, force: true });
  };
}
