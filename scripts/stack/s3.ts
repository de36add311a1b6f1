import { mkdirSync } from "node:fs";
import S3rver from "@20minutes/s3rver";
import { StackError } from "./errors.js";
import { HOST } from "./ports.js";

export const BUCKET = "easel";

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

export type LocalS3 = { url: string; bucket: string; directory: string; stop(): Promise<void> };

/** s3rver in this process (SigV4 and presigned URLs checked), its files under `directory`. */
export async function startS3(directory: string, port: number): Promise<LocalS3> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: HOST,
    port,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET, configs: [CORS] }],
  });
  let address: { port: number };
  try {
    address = await server.run();
  } catch (error) {
    throw new StackError(`the S3 server did not start on port ${port}: ${(error as Error).message}`);
  }
  return {
    url: `http://${HOST}:${address.port}`,
    bucket: BUCKET,
    directory,
    stop: () => server.close().catch(() => undefined),
  };
}
