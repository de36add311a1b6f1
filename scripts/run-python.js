// Runs the handler's virtual-environment Python with the given arguments.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const python = join("gpu-handler", ".venv", "bin", "python");
if (!existsSync(python)) {
  console.error("easel: gpu-handler/.venv is missing; run `npm install` (its postinstall step creates it).");
  process.exit(1);
}
const result = spawnSync(python, process.argv.slice(2), { stdio: "inherit" });
process.exit(result.status ?? 1);
