import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { StackError, describeFailure } from "./errors.js";
import { waitUntilHealthy } from "./health.js";
import { REPO_ROOT } from "./paths.js";
import { HOST } from "./ports.js";
import { logTail, runToEnd, startProcess, type ManagedProcess } from "./processes.js";

/**
 * versitygw's posix backend serves a folder as S3 (each folder under its root is a bucket, each
 * object a plain file), as RunPod's S3 API serves a network volume: what a handler writes into the
 * folder is exactly what a HEAD or GET sees. It refuses anonymous requests and checks SigV4.
 */
const VERSITYGW_VERSION = "v1.8.0";
const MODULE = "github.com/versity/versitygw/cmd/versitygw";
const TOOLS = join(REPO_ROOT, ".tools");
const VERSITYGW_BIN = join(TOOLS, `versitygw-${VERSITYGW_VERSION}`, "versitygw");

const READY_TIMEOUT_MS = 30_000;
const HEALTH_PATH = "/health";

/** The versitygw binary, built with `go install` into .tools/ (ignored) the first time it is needed. */
async function ensureVersitygw(say: (line: string) => void = (line) => console.log(line)): Promise<string> {
  if (existsSync(VERSITYGW_BIN)) return VERSITYGW_BIN;
  mkdirSync(TOOLS, { recursive: true });
  // Built aside and renamed, so a build that fails or races another leaves no half a binary in place.
  const staging = mkdtempSync(join(TOOLS, ".build-"));
  const logFile = join(TOOLS, "versitygw-build.log");
  say(`easel: building versitygw ${VERSITYGW_VERSION} with Go into .tools/ (first use only; a few minutes on 2 cores)…`);
  try {
    const outcome = await runToEnd("go", ["install", `${MODULE}@${VERSITYGW_VERSION}`], { env: { ...process.env, GOBIN: staging }, logFile });
    if (outcome === "not found") {
      throw new StackError(
        `building versitygw ${VERSITYGW_VERSION} needs Go, and \`go\` is not on PATH`,
        "install Go 1.25 or newer (https://go.dev/dl/), or point the stack at an S3 of your own (EASEL_S3_ENDPOINT, see the README)",
      );
    }
    if (outcome !== 0) throw new StackError(`building versitygw failed (go install exited with ${outcome}):\n${logTail(logFile)}`, undefined, logFile);
    mkdirSync(dirname(VERSITYGW_BIN), { recursive: true });
    renameSync(join(staging, "versitygw"), VERSITYGW_BIN);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  say(`easel: versitygw built: ${VERSITYGW_BIN}`);
  return VERSITYGW_BIN;
}

export type VersitygwOptions = {
  /** Each folder under it is a bucket. */
  root: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  logFile: string;
};

/** versitygw on loopback over `root`; resolves once it answers its health check. */
export async function startVersitygw(options: VersitygwOptions): Promise<{ process: ManagedProcess; url: string }> {
  const binary = await ensureVersitygw();
  mkdirSync(options.root, { recursive: true });
  const url = `http://${HOST}:${options.port}`;
  const gateway = startProcess({
    name: "the S3 gateway (versitygw)",
    command: binary,
    // Any origin: the gallery PUTs uploads and GETs images straight from the bucket in presigned mode.
    args: ["--port", `${HOST}:${options.port}`, "--health", HEALTH_PATH, "--cors-allow-origin", "*", "--quiet", "posix", options.root],
    cwd: options.root,
    // Credentials through the environment, not argv, where `ps` would show them.
    env: { ...process.env, ROOT_ACCESS_KEY: options.accessKeyId, ROOT_SECRET_KEY: options.secretAccessKey },
    logFile: options.logFile,
  });
  await waitUntilHealthy(gateway, `${url}${HEALTH_PATH}`, READY_TIMEOUT_MS);
  return { process: gateway, url };
}

// `tsx scripts/stack/versitygw.ts` builds it ahead of time (CI does, so the build is a step of its own).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await ensureVersitygw().then(
    (binary) => console.log(`versitygw ${VERSITYGW_VERSION}: ${binary}`),
    (error: unknown) => {
      console.error(describeFailure(error));
      process.exit(1);
    },
  );
}
