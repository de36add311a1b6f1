// Creates gpu-handler/.venv with the handler's requirements (npm's postinstall step).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const venv = join("gpu-handler", ".venv");
const requirements = join("gpu-handler", "requirements.txt");
const python = process.env.PYTHON || "python3";

function run(command, args) {
  const result = spawnSync(command, args, { stdio: "inherit" });
  if (result.error || result.status !== 0) {
    console.error(`\neasel: '${command} ${args.join(" ")}' failed${result.error ? `: ${result.error.message}` : ""}.`);
    console.error("easel: the GPU handler needs Python 3.11+ with venv (set PYTHON to choose the interpreter).");
    process.exit(1);
  }
}

if (!existsSync(requirements)) process.exit(0);
if (!existsSync(join(venv, "bin", "python"))) run(python, ["-m", "venv", venv]);
run(join(venv, "bin", "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements]);
console.log(`easel: Python environment ready in ${venv}`);
