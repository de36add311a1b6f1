import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export type Connection = { url: string; apiKey?: string; adminToken?: string; source: string };

/** What `npm start` keeps in `.easel/`: the development key, the Worker's secrets and (when written) where the Worker listens. */
export function findLocalStack(from = process.cwd()): Connection | null {
  for (let directory = from; ; directory = dirname(directory)) {
    const state = join(directory, ".easel");
    if (existsSync(join(state, "api-key.json")) || existsSync(join(state, "dev.vars"))) {
      const read = (name: string) => (existsSync(join(state, name)) ? readFileSync(join(state, name), "utf8") : null);
      const apiKey = read("api-key.json");
      const secrets = read("dev.vars");
      const stack = read("stack.json");
      return {
        url: stack ? (JSON.parse(stack) as { workerUrl: string }).workerUrl : `http://127.0.0.1:${process.env.EASEL_PORT || 8787}`,
        apiKey: apiKey ? (JSON.parse(apiKey) as { key: string }).key : undefined,
        adminToken: secrets?.match(/^ADMIN_TOKEN=(.*)$/m)?.[1]?.trim(),
        source: `the local stack (${state})`,
      };
    }
    if (dirname(directory) === directory) return null;
  }
}

/** Flags first, then EASEL_API_URL / EASEL_API_KEY / EASEL_ADMIN_TOKEN, then the local stack of the repository we are in. */
export function resolveConnection(flags: { url?: string; key?: string }, env = process.env, local = findLocalStack): Connection {
  const url = flags.url ?? env.EASEL_API_URL;
  if (url) return { url, apiKey: flags.key ?? env.EASEL_API_KEY, adminToken: env.EASEL_ADMIN_TOKEN, source: flags.url ? "--url" : "EASEL_API_URL" };
  const found = local();
  if (found) return { ...found, apiKey: flags.key ?? env.EASEL_API_KEY ?? found.apiKey, adminToken: env.EASEL_ADMIN_TOKEN ?? found.adminToken };
  throw new UsageError("no API to talk to: set EASEL_API_URL and EASEL_API_KEY (or --url and --key), or run inside the repository while `npm start` runs");
}

/** A mistake in how the CLI was called: shown with the usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
