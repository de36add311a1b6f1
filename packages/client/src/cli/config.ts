import { findLocalStack, type Connection } from "./local-stack.js";

/** Flags first, then EASEL_API_URL / EASEL_API_KEY / EASEL_ADMIN_TOKEN, then the running local stack of the repository we are in. */
export async function resolveConnection(
  flags: { url?: string; key?: string },
  env = process.env,
  local: () => Promise<Connection | null> = () => findLocalStack(),
): Promise<Connection> {
  const url = flags.url ?? env.EASEL_API_URL;
  if (url) return { url, apiKey: flags.key ?? env.EASEL_API_KEY, adminToken: env.EASEL_ADMIN_TOKEN, source: flags.url ? "--url" : "EASEL_API_URL" };
  const found = await local();
  if (found) return { ...found, apiKey: flags.key ?? env.EASEL_API_KEY ?? found.apiKey, adminToken: env.EASEL_ADMIN_TOKEN ?? found.adminToken };
  throw new UsageError("no API to talk to: set EASEL_API_URL and EASEL_API_KEY (or --url and --key), or run inside the repository while `npm start` runs", { showUsage: false });
}

/** A mistake in how the CLI was called: exit code 2, with the usage unless it would not help. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly showUsage: boolean;

  constructor(message: string, options: { showUsage?: boolean } = {}) {
    super(message);
    this.showUsage = options.showUsage ?? true;
  }
}
