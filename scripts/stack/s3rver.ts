import { mkdirSync } from "node:fs";
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
