import { parseArgs } from "node:util";

const OPTIONS = {
  url: { type: "string" }, key: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" },
  prompt: { type: "string" }, "negative-prompt": { type: "string" }, "num-images": { type: "string" },
  width: { type: "string" }, height: { type: "string" }, steps: { type: "string" }, seed: { type: "string" }, strength: { type: "string" },
  style: { type: "string" }, content: { type: "string" }, out: { type: "string" }, webhook: { type: "string" },
  status: { type: "string" }, type: { type: "string" }, limit: { type: "string" }, all: { type: "boolean" },
  owner: { type: "string" }, name: { type: "string" }, expires: { type: "string" }, rotate: { type: "boolean" },
} as const;

export type Flags = ReturnType<typeof parse>["values"];

export function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

export const USAGE = `easel: Easel's API from the command line

  easel run text-to-image --prompt TEXT [--num-images N] [--width W --height H --steps S --seed X] --out DIR
  easel run style-transfer --style FILE --content FILE [--prompt TEXT] [--strength 0..1] [--num-images N] --out DIR
  easel jobs list [--status S] [--type T] [--limit N] [--all]
  easel jobs get ID | easel jobs watch ID | easel jobs cancel ID
  easel webhooks secret [--rotate]
  easel keys create --owner OWNER [--name NAME] [--expires ISO-TIME]     (admin)
  easel keys list [--owner OWNER] | easel keys revoke ID                (admin)
  easel storage-report                                                    (admin)

Connection: --url and --key, or EASEL_API_URL and EASEL_API_KEY; admin commands use EASEL_ADMIN_TOKEN.
Inside the Easel repository, with \`npm start\` running (either store mode), the local stack is found by itself (.easel/stack.json).
--json prints what the API answered instead of a table.`;
