import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort } from "../scripts/stack/ports.js";
import { S3RVER_CREDENTIALS, startS3rver } from "../scripts/stack/s3rver.js";
import { startVersitygw } from "../scripts/stack/versitygw.js";
import { startFakeRunpod } from "./node/fake-runpod.js";
import { startOutageProxy } from "./node/outage-proxy.js";
import { startWebhookReceiver } from "./node/webhook-receiver.js";

export const TEST_BUCKET = "easel-test";

/**
 * Two real S3 servers, each behind a proxy that can stage an outage: s3rver (the Worker's default
 * binding; accepts anonymous requests) and versitygw (a folder served as S3, as RunPod serves a
 * network volume; refuses anonymous requests). And a RunPod API stand-in, for the whole run. The
 * default ports are chosen in vitest.config.ts, since the Worker's bindings need them.
 */
export default async function setup(project: TestProject) {
  const directory = mkdtempSync(join(tmpdir(), "easel-s3-"));
  const s3 = await startS3rver(join(directory, "s3rver"), 0, TEST_BUCKET);
  const proxy = await startOutageProxy(Number(new URL(s3.url).port), Number(process.env.EASEL_TEST_S3_PORT));

  mkdirSync(join(directory, "versitygw", TEST_BUCKET), { recursive: true });
  // s3rver's credentials (the only ones it takes), so the Worker's one set of secrets reaches both servers.
  const versitygw = await startVersitygw({
    root: join(directory, "versitygw"),
    port: await freePort(),
    ...S3RVER_CREDENTIALS,
    logFile: join(directory, "versitygw.log"),
  });
  const versitygwProxy = await startOutageProxy(Number(new URL(versitygw.url).port));

  const runpod = await startFakeRunpod(Number(process.env.EASEL_TEST_RUNPOD_PORT));
  const receiver = await startWebhookReceiver();
  project.provide("s3Port", proxy.port);
  project.provide("s3Bucket", TEST_BUCKET);
  project.provide("s3Servers", [
    { name: "s3rver", port: proxy.port, bucket: TEST_BUCKET, anonymousAllowed: true },
    { name: "versitygw", port: versitygwProxy.port, bucket: TEST_BUCKET, anonymousAllowed: false },
  ]);
  project.provide("runpodPort", runpod.port);
  project.provide("webhookReceiverPort", receiver.port);
  return async () => {
    await receiver.close();
    await runpod.close();
    await Promise.all([proxy.close(), versitygwProxy.close()]);
    await Promise.all([s3.stop(), versitygw.process.stop()]);
    rmSync(directory, { recursive: true, force: true });
  };
}
