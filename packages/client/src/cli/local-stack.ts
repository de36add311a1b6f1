import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * What `npm start` writes into its state folder once its Worker answers, and removes when it
 * stops: how the CLI finds the running local stack, in either store mode.
 */
export type LocalStackFile = {
  workerUrl: string;
  store: string;
  /** The development API key (`{"key": …}`), written once the stack made it. */
  apiKeyFile: string;
  /** The Worker's local secrets (`NAME=value` lines), ADMIN_TOKEN among them. */
  secretsFile: string;
  startedAt: string;
};

export const STACK_FILE = "stack.json";
const HEALTH_TIMEOUT_MS = 2_000;

/** Where the CLI sends its calls, with which credentials, and where it found them. */
export type Connection = { url: string; apiKey?: string; adminToken?: string; source: string };

const readIfThere = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : null);

async function answers(workerUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${workerUrl}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

function connectionOf(stack: LocalStackFile, shown: string): Connection {
  const apiKey = readIfThere(stack.apiKeyFile);
  return {
    url: stack.workerUrl,
    apiKey: apiKey ? (JSON.parse(apiKey) as { key: string }).key : undefined,
    adminToken: readIfThere(stack.secretsFile)?.match(/^ADMIN_TOKEN=(.*)$/m)?.[1]?.trim(),
    source: `the local stack in ${shown} (${stack.store} mode)`,
  };
}

/**
 * The running local stack of the repository `from` is in: the stack files of its state folders
 * whose Worker answers, the most recently started first. A file whose Worker does not answer (a
 * stack that did not stop cleanly) is ignored, and `warn` says so.
 */
export async function findLocalStack(from = process.cwd(), warn: (line: string) => void = console.error): Promise<Connection | null> {
  let root = from;
  while (!existsSync(join(root, ".easel"))) {
    if (dirname(root) === root) return null;
    root = dirname(root);
  }
  // `npm start` keeps one state folder per store mode: .easel/ itself, and folders inside it.
  const state = join(root, ".easel");
  const folders = [state, ...readdirSync(state, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => join(state, entry.name))];
  const running: { stack: LocalStackFile; shown: string }[] = [];
  for (const folder of folders) {
    const file = join(folder, STACK_FILE);
    const text = readIfThere(file);
    if (text === null) continue;
    const shown = relative(from, file) || file;
    let stack: LocalStackFile;
    try {
      stack = JSON.parse(text) as LocalStackFile;
    } catch {
      warn(`easel: ignoring ${shown}: it is not JSON`);
      continue;
    }
    if (await answers(stack.workerUrl)) running.push({ stack, shown: relative(from, folder) || "." });
    else warn(`easel: ignoring ${shown}: its Worker (${stack.workerUrl}) does not answer; that stack is not running (the next \`npm start\` replaces the file)`);
  }
  running.sort((a, b) => b.stack.startedAt.localeCompare(a.stack.startedAt));
  return running[0] ? connectionOf(running[0].stack, running[0].shown) : null;
}
