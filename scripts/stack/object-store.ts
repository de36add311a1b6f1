import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { StackError } from "./errors.js";
import type { ManagedProcess } from "./processes.js";
import { S3RVER_CREDENTIALS, startS3rver } from "./s3rver.js";
import { startVersitygw } from "./versitygw.js";

const STORE_MODES = ["presigned", "network-volume"] as const;
/** The Worker's S3_MODE: a bucket that presigns, or a RunPod network volume that cannot. */
export type StoreMode = (typeof STORE_MODES)[number];
export type LocalS3Server = "s3rver" | "versitygw";

const LOCAL_BUCKET = "easel";
// Loopback only, for a gateway the stack starts and stops; versitygw needs some root credentials.
const VERSITYGW_CREDENTIALS = { accessKeyId: "easel-local", secretAccessKey: "easel-local-secret" };

/** An S3 of the user's own (EASEL_S3_* settings), used instead of a local server. */
export type ExternalS3 = {
  endpoint: string;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  /** network-volume mode: the folder, on this machine, that this S3 serves as the bucket. */
  volumeMount?: string;
};

/** The bucket the stack's Worker and handler use, and how to reach it. */
export type StackStore = {
  mode: StoreMode;
  server: LocalS3Server | "external";
  endpoint: string;
  bucket: string;
  region: string;
  forcePathStyle: boolean;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** network-volume mode: the folder standing for the handler's /runpod-volume, each object a plain file. */
  volumeMount?: string;
  /** Where a local server keeps its objects. */
  directory?: string;
  process?: ManagedProcess;
  stop(): Promise<void>;
};

export type StoreOptions = {
  mode: StoreMode;
  /** The local server to start; network-volume mode needs one that serves plain files (versitygw). */
  server?: LocalS3Server;
  external?: ExternalS3;
  /** The state folder's place for the local server's files. */
  directory: string;
  port: number;
  logs: string;
};

/** Starts the local S3 server the mode needs (or takes the user's own) and says how to reach it. */
export async function startStore(options: StoreOptions): Promise<StackStore> {
  const { mode, external } = options;
  if (external) {
    if (mode === "network-volume" && !external.volumeMount) {
      throw new StackError(
        "network-volume mode with your own S3 needs the folder that S3 serves as the bucket",
        "set EASEL_VOLUME_MOUNT to it: the handler writes there what the Worker then reads through EASEL_S3_ENDPOINT",
      );
    }
    const { accessKeyId, secretAccessKey, volumeMount, ...where } = external;
    return { mode, server: "external", ...where, credentials: { accessKeyId, secretAccessKey }, volumeMount, stop: async () => undefined };
  }
  const server = options.server ?? (mode === "network-volume" ? "versitygw" : "s3rver");
  const local = { mode, server, bucket: LOCAL_BUCKET, region: "us-east-1", forcePathStyle: true, directory: options.directory };
  if (server === "s3rver") {
    if (mode === "network-volume") {
      throw new StackError("network-volume mode needs an S3 server that serves a folder of plain files (versitygw), not s3rver");
    }
    const s3rver = await startS3rver(options.directory, options.port, LOCAL_BUCKET);
    return { ...local, endpoint: s3rver.url, credentials: S3RVER_CREDENTIALS, stop: s3rver.stop };
  }
  const bucketFolder = join(options.directory, LOCAL_BUCKET);
  mkdirSync(bucketFolder, { recursive: true });
  const gateway = await startVersitygw({
    root: options.directory,
    port: options.port,
    ...VERSITYGW_CREDENTIALS,
    logFile: join(options.logs, "versitygw.log"),
  });
  return {
    ...local,
    endpoint: gateway.url,
    credentials: VERSITYGW_CREDENTIALS,
    ...(mode === "network-volume" ? { volumeMount: bucketFolder } : {}),
    process: gateway.process,
    stop: () => gateway.process.stop(),
  };
}

/** The Worker's `[vars]` for this store (its credentials go as secrets). */
export function storeVars(store: StackStore): Record<string, string> {
  return {
    S3_MODE: store.mode,
    S3_ENDPOINT: store.endpoint,
    S3_BUCKET: store.bucket,
    S3_REGION: store.region,
    S3_FORCE_PATH_STYLE: String(store.forcePathStyle),
  };
}

/** What `npm start` reads to use an S3 of the user's own; undefined when EASEL_S3_ENDPOINT is not set. */
export function externalS3FromEnv(env: NodeJS.ProcessEnv): ExternalS3 | undefined {
  const endpoint = env.EASEL_S3_ENDPOINT;
  if (!endpoint) return undefined;
  const missing = ["EASEL_S3_BUCKET", "EASEL_S3_ACCESS_KEY_ID", "EASEL_S3_SECRET_ACCESS_KEY"].filter((name) => !env[name]);
  if (missing.length) throw new StackError(`EASEL_S3_ENDPOINT is set, but not ${missing.join(", ")}`, "see \"Your own S3\" in the README");
  const pathStyle = (env.EASEL_S3_FORCE_PATH_STYLE || "true").toLowerCase();
  if (pathStyle !== "true" && pathStyle !== "false") throw new StackError(`EASEL_S3_FORCE_PATH_STYLE must be true or false, not ${JSON.stringify(pathStyle)}`);
  return {
    endpoint,
    bucket: env.EASEL_S3_BUCKET!,
    region: env.EASEL_S3_REGION || "us-east-1",
    forcePathStyle: pathStyle === "true",
    accessKeyId: env.EASEL_S3_ACCESS_KEY_ID!,
    secretAccessKey: env.EASEL_S3_SECRET_ACCESS_KEY!,
    volumeMount: env.EASEL_VOLUME_MOUNT ? resolve(env.EASEL_VOLUME_MOUNT) : undefined,
  };
}

export function storeMode(value: string | undefined): StoreMode {
  const mode = value || "presigned";
  if (!(STORE_MODES as readonly string[]).includes(mode)) {
    throw new StackError(`unknown store mode ${JSON.stringify(mode)}`, `choose ${STORE_MODES.join(" or ")}: npm start -- --store network-volume`);
  }
  return mode as StoreMode;
}

/** One line for the console: which server, where, which bucket. */
export function describeStore(store: StackStore): string {
  const server = store.server === "external" ? "your S3" : store.server;
  const volume = store.volumeMount ? `, the volume's folder ${store.volumeMount}` : "";
  return `${server} ${store.endpoint} (bucket "${store.bucket}", ${store.mode} mode${volume})`;
}
