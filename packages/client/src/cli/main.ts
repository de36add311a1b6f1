import { EaselClient } from "../node.js";
import { EaselError } from "../errors.js";
import { UsageError, resolveConnection } from "./config.js";
import { USAGE, parse, type Flags } from "./flags.js";
import { keys, storageReport, webhooks } from "./commands/admin.js";
import { jobs } from "./commands/jobs.js";
import { run } from "./commands/run.js";

async function main(argv: string[]): Promise<number> {
  const { values: flags, positionals } = parse(argv);
  const [command, action, id] = positionals;
  if (flags.help || !command) {
    console.log(USAGE);
    return command || flags.help ? 0 : 2;
  }
  const connection = await resolveConnection(flags);
  const easel = new EaselClient({ baseUrl: connection.url, apiKey: connection.apiKey, adminToken: connection.adminToken });
  try {
    return await dispatch(easel, command, action, id, flags);
  } catch (error) {
    // Where the CLI went looking is what an unreachable API leaves the user wondering.
    if (error instanceof EaselError && error.code === "network_error") {
      throw new EaselError(error.code, `${error.message} (the API at ${connection.url}, from ${connection.source})`);
    }
    throw error;
  }
}

function dispatch(easel: EaselClient, command: string, action: string | undefined, id: string | undefined, flags: Flags): Promise<number> {
  switch (command) {
    case "run":
      return run(easel, action, flags);
    case "jobs":
      return jobs(easel, action, id, flags);
    case "keys":
      return keys(easel, action, id, flags);
    case "storage-report":
      return storageReport(easel, flags);
    case "webhooks":
      return webhooks(easel, action, flags);
    default:
      throw new UsageError(`no command ${JSON.stringify(command)}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
    console.error(error instanceof UsageError && !error.showUsage ? `easel: ${error.message}` : `easel: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof EaselError) {
    const details = error.details === undefined ? "" : `\n${JSON.stringify(error.details, null, 2)}`;
    console.error(`easel: ${error.message} (${error.code}${error.status ? `, HTTP ${error.status}` : ""})${details}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
