import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  CreateJobRequest,
  HandlerInput,
  HandlerResult,
  LegacyImageMessage,
  LegacyStatusMessage,
  WebhookEvent,
} from "../schema/contract/index.js";

// The JSON Schema files are what the Python handler validates against; `npm run contract`
// rewrites them and a test fails when they drift from the zod source.
export const EXPORTED_SCHEMAS = {
  "handler-input": HandlerInput,
  "webhook-event": WebhookEvent,
  "handler-result": HandlerResult,
  "legacy-image-message": LegacyImageMessage,
  "legacy-status-message": LegacyStatusMessage,
  "create-job-request": CreateJobRequest,
} as const;

export function renderSchema(name: keyof typeof EXPORTED_SCHEMAS): string {
  const schema = z.toJSONSchema(EXPORTED_SCHEMAS[name], { io: "input", target: "draft-2020-12" });
  return `${JSON.stringify({ $id: `https://easel.dev/contract/v1/${name}.schema.json`, ...schema }, null, 2)}\n`;
}

const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "schema", "json");

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await mkdir(outDir, { recursive: true });
  for (const name of Object.keys(EXPORTED_SCHEMAS) as (keyof typeof EXPORTED_SCHEMAS)[]) {
    await writeFile(join(outDir, `${name}.schema.json`), renderSchema(name));
    console.log(`wrote schema/json/${name}.schema.json`);
  }
}
