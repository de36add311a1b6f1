import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { STACK_FILE } from "../../packages/client/src/cli/local-stack.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The demo's two input images, kept for trying the CLI with (`npx easel run style-transfer --style … --content …`). */
export const SAMPLES_DIR = join(REPO_ROOT, ".easel", "samples");

/** A store mode's state folder in a checkout: each mode keeps its own jobs and images (a job listed in one has its images in that store). */
export const stateDirFor = (root: string, store: string) => (store === "presigned" ? join(root, ".easel") : join(root, ".easel", store));

/** Everything the stack keeps between runs, under one ignored folder. */
export type StatePaths = {
  root: string;
  wrangler: string;
  /** The local S3 server's files: s3rver's store, or versitygw's root (a folder per bucket, plain files). */
  s3: string;
  logs: string;
  secrets: string;
  apiKey: string;
  /** Present while the stack runs: how the CLI finds it. */
  stackFile: string;
};

export function statePaths(root: string): StatePaths {
  const paths = {
    root,
    wrangler: join(root, "wrangler"),
    s3: join(root, "s3"),
    logs: join(root, "logs"),
    secrets: join(root, "dev.vars"),
    apiKey: join(root, "api-key.json"),
    stackFile: join(root, STACK_FILE),
  };
  for (const directory of [paths.root, paths.logs]) {
    if (!existsSync(directory)) mkdirSync(directory, { recursive: true });
  }
  return paths;
}

export const WRANGLER_BIN = join(REPO_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
export const VENV_PYTHON = join(REPO_ROOT, "gpu-handler", ".venv", "bin", "python");
export const HANDLER = join(REPO_ROOT, "gpu-handler", "handler.py");
export const RUNNER = join(REPO_ROOT, "local", "runner", "server.py");
