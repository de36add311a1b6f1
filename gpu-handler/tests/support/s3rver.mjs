// Starts a real S3 server (s3rver: SigV4 and presigned URLs checked) for the Python tests and bench.
// Usage: node s3rver.mjs <directory> <bucket> [port]; prints {"port": N} once listening, stops on stdin EOF.
import S3rver from "@20minutes/s3rver";

const [directory, bucket, listenOn = "0"] = process.argv.slice(2);
const server = new S3rver({
  address: "127.0.0.1",
  port: Number(listenOn),
  silent: true,
  directory,
  configureBuckets: [{ name: bucket, configs: [] }],
});
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);

// The parent holds our stdin open; when it exits or closes it, so do we.
process.stdin.resume();
process.stdin.on("end", async () => {
  await server.close();
  process.exit(0);
});
