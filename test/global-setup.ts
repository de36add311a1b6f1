import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "@20minutes/s3rver";
import type { TestProject } from "vitest/node";
import { freePort } from "../scripts/stack/ports.js";
import { startVersitygw } from "../scripts/stack/versitygw.js";
import { startFakeRunpod } from "./node/fake-runpod.js";
import { startOutageProxy } from "./node/outage-proxy.js";
import { startWebhookReceiver } from "./node/webhook-receiver.js";

export const TEST_BUCKET = "easel-test";
// s3rver accepts only these; versitygw is given the same, so the Worker's one set of secrets reaches both.
const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/**
 * Two real S3 servers, each behind a proxy that can stage an outage: s3rver (the Worker's default
 * binding; accepts anonymous requests) and versitygw (a folder served as S3, as RunPod serves a
 * network volume; refuses anonymous requests). And a RunPod API stand-in, for the whole run. The
 * default ports are chosen in vitest.config.ts, since the Worker's bindings need them.
 */
export default async function setup(project: TestProject) {
  const directory = mkdtempSync(join(tmpdir(), "easel-s3-"));
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: join(directory, "s3rver"),
    configureBuckets: [{ name: TEST_BUCKET, configs: [] }],
  });
  const { port } = await s3.run();
  const proxy = await startOutageProxy(port, Number(process.env.EASEL_TEST_S3_PORT));

  mkdirSync(join(directory, "versitygw", TEST_BUCKET), { recursive: true });
  const versitygw = await startVersitygw({
    root: join(directory, "versitygw"),
    port: await freePort(),
    ...CREDENTIALS,
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
    await Promise.all([s3.close(), versitygw.process.stop()]);
    rmSync(directory, { recursive: true, force: true });
  };
}
