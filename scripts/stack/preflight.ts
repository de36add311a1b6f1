import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { relative } from "node:path";
import { StackError } from "./errors.js";
import { HANDLER, REPO_ROOT, RUNNER, VENV_PYTHON, WRANGLER_BIN } from "./paths.js";

const HANDLER_MODULES = ["runpod", "PIL", "requests", "standardwebhooks", "jsonschema"];
const show = (path: string) => relative(REPO_ROOT, path);

/** Everything the stack needs that `npm install` provides, checked before anything starts. */
export function checkPrerequisites(): void {
  if (!existsSync(WRANGLER_BIN)) {
    throw new StackError("wrangler is not installed", "run `npm install` first");
  }
  if (!existsSync(VENV_PYTHON)) {
    const python = spawnSync(process.env.PYTHON || "python3", ["--version"], { encoding: "utf8" });
    const hint = python.error
      ? "install Python 3.11+ (with venv), then run `npm install`: its postinstall step creates gpu-handler/.venv"
      : "run `npm install`: its postinstall step creates gpu-handler/.venv from gpu-handler/requirements.txt";
    throw new StackError(`the GPU handler's Python environment (${show(VENV_PYTHON)}) is missing`, hint);
  }
  for (const file of [HANDLER, RUNNER]) {
    if (!existsSync(file)) throw new StackError(`${show(file)} is missing`, "this checkout is incomplete: `git status` shows what is gone");
  }
  const probe = `import importlib.util, sys\nmissing = [m for m in ${JSON.stringify(HANDLER_MODULES)} if importlib.util.find_spec(m) is None]\nprint(",".join(missing))\nsys.exit(1 if missing or sys.version_info < (3, 11) else 0)`;
  const result = spawnSync(VENV_PYTHON, ["-c", probe], { encoding: "utf8" });
  if (result.error) {
    throw new StackError(`${show(VENV_PYTHON)} does not run (${result.error.message})`, "delete gpu-handler/.venv and run `npm install` again");
  }
  if (result.status !== 0) {
    const missing = result.stdout.trim();
    throw new StackError(
      missing ? `the handler's Python packages are missing: ${missing}` : "gpu-handler/.venv holds a Python older than 3.11",
      missing
        ? "run `npm install` again, or `gpu-handler/.venv/bin/python -m pip install -r gpu-handler/requirements.txt`"
        : "delete gpu-handler/.venv and run `npm install` with Python 3.11+ (set PYTHON to choose it)",
    );
  }
}
