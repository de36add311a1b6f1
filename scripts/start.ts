// `npm start`: the whole of Easel on this machine, a demo of both job types, then the gallery.
// `npm start -- --store network-volume` (or EASEL_STORE=network-volume) runs it as on a RunPod network volume.
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { EaselClient, type StorageReport } from "@easel/client";
import { runDemoJobs, type WatchedJob } from "./stack/demo.js";
import { loadOrCreateDevKey } from "./stack/dev-key.js";
import { StackError, describeFailure } from "./stack/errors.js";
import { externalS3FromEnv, storeMode } from "./stack/object-store.js";
import { REPO_ROOT, SAMPLES_DIR, stateDirFor } from "./stack/paths.js";
import { writeSampleImages } from "./stack/sample-images.js";
import { stopAll } from "./stack/processes.js";
import { startStack, stopOnSignals, type Stack } from "./stack/stack.js";

const port = (name: string, fallback: number) => Number(process.env[name] || fallback);
// Paths inside the checkout relative to it; others as they are.
const show = (path: string) => (relative(REPO_ROOT, path).startsWith("..") ? path : relative(REPO_ROOT, path) || ".");

let stack: Stack | undefined;

function options() {
  try {
    const { values } = parseArgs({ options: { store: { type: "string" } } });
    return { store: storeMode(values.store ?? process.env.EASEL_STORE), externalS3: externalS3FromEnv(process.env) };
  } catch (error) {
    if (error instanceof StackError) throw error;
    throw new StackError((error as Error).message, "usage: npm start [-- --store presigned|network-volume]");
  }
}

async function main() {
  const started = Date.now();
  const { store, externalS3 } = options();
  stopOnSignals(() => (stack ? stack.stop() : stopAll()), () => console.log("\neasel: stopping every part…"));
  const stateDir = stateDirFor(REPO_ROOT, store);
  console.log(`easel: starting the local stack, ${store} mode (state in ${show(stateDir)}/)`);
  stack = await startStack({
    stateDir,
    store,
    externalS3,
    ports: { worker: port("EASEL_PORT", 8787), s3: port("EASEL_S3_PORT", 4568), runner: port("EASEL_RUNNER_PORT", 8790) },
    onStep: (message) => console.log(`  ✓ ${message}`),
  });
  console.log(`easel: stack up in ${((Date.now() - started) / 1000).toFixed(1)} s; logs in ${show(stack.paths.logs)}/`);

  const { devKey, created } = await loadOrCreateDevKey(stack.workerUrl, stack.secrets.ADMIN_TOKEN, stack.paths.apiKey);
  if (created) {
    console.log(`\neasel: development API key (shown once; kept in ${show(stack.paths.apiKey)}):\n\n    ${devKey.key}\n`);
  } else {
    console.log(`easel: using the development API key kept in ${show(stack.paths.apiKey)}`);
  }

  const samples = writeSampleImages(SAMPLES_DIR);
  console.log(`\neasel: running one text-to-image job and one style transfer of ${show(samples.style)} and ${show(samples.content)} (uploaded through /api/uploads):`);
  const demoStarted = Date.now();
  const watched = await runDemoJobs(new EaselClient({ baseUrl: stack.workerUrl, apiKey: devKey.key }), samples);
  console.log(`easel: both jobs ended in ${((Date.now() - demoStarted) / 1000).toFixed(1)} s`);
  printImages(stack, watched);
  printStorageReport(await new EaselClient({ baseUrl: stack.workerUrl, adminToken: stack.secrets.ADMIN_TOKEN }).reports.storage());

  console.log(`\neasel: the gallery: ${stack.workerUrl}/   (paste the API key from ${show(stack.paths.apiKey)})`);
  console.log(`easel: API docs:    ${stack.workerUrl}/docs`);
  console.log("easel: the CLI:     npx easel jobs list   (it finds this stack by itself; npx easel --help)");
  console.log("easel: running; Ctrl-C stops every part.");
  const died = await stack.unexpectedExit;
  console.error(`easel: ${died}; stopping the rest.`);
  await stack.stop();
  process.exit(1);
}

function printImages(stack: Stack, watched: WatchedJob[]) {
  const { store } = stack;
  for (const { label, job } of watched) {
    console.log(`\n  ${label} ${job.id}: ${job.status}${job.error ? ` (${job.error})` : ""}`);
    for (const image of job.images) {
      console.log(`    #${image.index} ${image.width}×${image.height} ${image.contentType}, ${image.size} bytes`);
      console.log(`       bucket:  s3://${store.bucket}/${image.key}`);
      if (store.volumeMount) console.log(`       file:    ${show(join(store.volumeMount, image.key))} (/runpod-volume/${image.key} for the handler)`);
      console.log(`       view:    ${image.url}`);
    }
  }
  const files = store.server === "s3rver" && store.directory ? `objects are files under ${show(join(store.directory, store.bucket))}/; ` : "";
  console.log(`\n  (${files}view links last 5 minutes, the gallery makes new ones)`);
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
