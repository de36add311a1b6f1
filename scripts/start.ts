// `npm start`: the whole of Easel on this machine, a demo of both job types, then the gallery.
import { join, relative } from "node:path";
import { runDemoJobs, type WatchedJob } from "./stack/demo.js";
import { loadOrCreateDevKey } from "./stack/dev-key.js";
import { EaselClient, type StorageReport } from "./stack/easel-client.js";
import { describeFailure } from "./stack/errors.js";
import { REPO_ROOT } from "./stack/paths.js";
import { stopAll } from "./stack/processes.js";
import { startStack, stopOnSignals, type Stack } from "./stack/stack.js";

const port = (name: string, fallback: number) => Number(process.env[name] || fallback);
const show = (path: string) => relative(REPO_ROOT, path) || ".";

let stack: Stack | undefined;

async function main() {
  const started = Date.now();
  stopOnSignals(() => (stack ? stack.stop() : stopAll()), () => console.log("\neasel: stopping every part…"));
  console.log("easel: starting the local stack (state in .easel/)");
  stack = await startStack({
    stateDir: join(REPO_ROOT, ".easel"),
    ports: { worker: port("EASEL_PORT", 8787), s3: port("EASEL_S3_PORT", 4568), runner: port("EASEL_RUNNER_PORT", 8790) },
    onStep: (message) => console.log(`  ✓ ${message}`),
  });
  console.log(`easel: stack up in ${((Date.now() - started) / 1000).toFixed(1)} s; logs in ${show(stack.paths.logs)}/`);

  const api = new EaselClient(stack.workerUrl);
  const { devKey, created } = await loadOrCreateDevKey(api, stack.secrets.ADMIN_TOKEN, stack.paths.apiKey);
  if (created) {
    console.log(`\neasel: development API key (shown once; kept in ${show(stack.paths.apiKey)}):\n\n    ${devKey.key}\n`);
  } else {
    console.log(`easel: using the development API key kept in ${show(stack.paths.apiKey)}`);
  }

  console.log("\neasel: running one text-to-image job and one style transfer (inputs uploaded through /api/uploads):");
  const demoStarted = Date.now();
  const watched = await runDemoJobs(api.withKey(devKey.key));
  console.log(`easel: both jobs ended in ${((Date.now() - demoStarted) / 1000).toFixed(1)} s`);
  printImages(stack, watched);
  printStorageReport(await api.storageReport(stack.secrets.ADMIN_TOKEN));

  console.log(`\neasel: the gallery: ${stack.workerUrl}/   (paste the API key from ${show(stack.paths.apiKey)})`);
  console.log(`easel: API docs:    ${stack.workerUrl}/docs`);
  console.log("easel: running; Ctrl-C stops every part.");
  const died = await stack.unexpectedExit;
  console.error(`easel: ${died}; stopping the rest.`);
  await stack.stop();
  process.exit(1);
}

function printImages(stack: Stack, watched: WatchedJob[]) {
  for (const { label, job } of watched) {
    console.log(`\n  ${label} ${job.id}: ${job.status}${job.error ? ` (${job.error})` : ""}`);
    for (const image of job.images) {
      console.log(`    #${image.index} ${image.width}×${image.height} ${image.contentType}, ${image.size} bytes`);
      console.log(`       bucket:  s3://${stack.s3.bucket}/${image.key}`);
      console.log(`       view:    ${image.url}`);
    }
  }
  console.log(`\n  (objects are files under ${show(join(stack.s3.directory, stack.s3.bucket))}/; view links last 5 minutes, the gallery makes new ones)`);
}

function printStorageReport(report: StorageReport) {
  console.log("\neasel: storage report (GET /api/admin/storage-report):");
  const rows = [["all", report.overall] as const, ...Object.entries(report.byType)];
  for (const [type, figures] of rows) {
    console.log(
      `    ${type.padEnd(15)} ${String(figures.images).padStart(4)} images, ${String(figures.s3Only).padStart(4)} S3-only (${figures.rate}%), ` +
        `${figures.bytesInD1} image bytes in D1, ${figures.metadataBytesPerImage} bytes of metadata per image`,
    );
  }
}

main().catch(async (error: unknown) => {
  console.error(describeFailure(error));
  await stack?.stop();
  process.exit(1);
});
