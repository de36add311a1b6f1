import { readFile } from "node:fs/promises";
import { EXPORTED_SCHEMAS, renderSchema } from "./export-contract.js";

// Fails when schema/json no longer matches the zod contract: the handler would be checked
// against a stale contract.
let stale = 0;
for (const name of Object.keys(EXPORTED_SCHEMAS) as (keyof typeof EXPORTED_SCHEMAS)[]) {
  const path = `schema/json/${name}.schema.json`;
  const committed = await readFile(path, "utf8").catch(() => "");
  if (committed !== renderSchema(name)) {
    console.error(`contract drift: ${path} differs from schema/contract (run npm run contract)`);
    stale++;
  }
}
if (stale) process.exit(1);
console.log(`contract: ${Object.keys(EXPORTED_SCHEMAS).length} JSON Schema files match schema/contract`);
