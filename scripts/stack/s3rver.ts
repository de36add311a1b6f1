import { mkdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import S3rver from "@20minutes/s3rver";
import { StackError } from "./errors.js";
import { HOST } from "./ports.js";

// s3rver accepts only its built-in credentials.
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

// The gallery PUTs uploads and GETs images straight from the bucket, from the Worker's origin.
const CORS = `<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>*</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;

/**
 * s3rver in this process, its files under `directory`. It checks the signature of a request that
 * carries one (SigV4 headers and presigned URLs), but lets anonymous requests through.
 */
export async function startS3rver(directory: string, port: number, bucket: string): Promise<{ url: string; stop(): Promise<void> }> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: HOST,
    port,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [CORS] }],
  });
  let address: { port: number };
  try {
    address = await server.run();
  } catch (error) {
    throw new StackError(`the S3 server did not start on port ${port}: ${(error as Error).message}`);
  }
  return { url: `http://${HOST}:${address.port}`, stop: () => server.close().catch(() => undefined) };
}

// `node --import tsx scripts/stack/s3rver.ts DIRECTORY BUCKET [PORT]`: the same server for the GPU
// handler's Python tests (gpu-handler/tests/support/s3.py). Prints {"port": N} once listening, and
// stops when its stdin closes, so it never outlives the test process that holds it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [directory, bucket, port = "0"] = process.argv.slice(2);
  if (!directory || !bucket) {
    console.error("usage: node --import tsx scripts/stack/s3rver.ts DIRECTORY BUCKET [PORT]");
    process.exit(2);
  }
  const server = await startS3rver(directory, Number(port), bucket);
  process.stdout.write(`${JSON.stringify({ port: Number(new URL(server.url).port) })}\n`);
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await server.stop();
    process.exit(0);
  });
}
