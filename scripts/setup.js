// npm's postinstall step: everything `npm start` and `npm test` need beyond node_modules.
//  1. public/easel-client.js: the gallery's browser bundle of @easel/client (also rebuilt before
//     `wrangler dev` and `wrangler deploy`).
//  2. gpu-handler/.venv with the handler's requirements (Python 3.11+).
//  3. Chromium for the gallery's browser test, from the system's packages when it is missing
//     (CHROMIUM_PATH points elsewhere; EASEL_SKIP_BROWSER=1 skips this step).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const venv = join("gpu-handler", ".venv");
const requirements = join("gpu-handler", "requirements.txt");
const python = process.env.PYTHON || "python3";

function run(command, args, help) {
  const result = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (result.error || result.status !== 0) {
    console.error(`\neasel: '${command} ${args.join(" ")}' failed${result.error ? `: ${result.error.message}` : ""}.`);
    console.error(`easel: ${help}`);
    process.exit(1);
  }
}

function buildBrowserClient() {
  const tsx = join("node_modules", "tsx", "dist", "cli.mjs");
  run(process.execPath, [tsx, join("scripts", "stack", "browser-client.ts")], "the gallery needs it: fix what is above, then `npm run build:client`.");
}

function setUpPython() {
  if (!existsSync(requirements)) return;
  const help = "the GPU handler needs Python 3.11+ with venv (set PYTHON to choose the interpreter).";
  if (!existsSync(join(venv, "bin", "python"))) run(python, ["-m", "venv", venv], help);
  run(join(venv, "bin", "python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements], help);
  console.log(`easel: Python environment ready in ${venv}`);
}

function setUpBrowser() {
  const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (process.env.EASEL_SKIP_BROWSER === "1" || existsSync(chromium)) return;
  const canInstall = process.getuid?.() === 0 && spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
  if (!canInstall) {
    console.warn(`easel: no Chromium at ${chromium}; the gallery's browser test needs it (apt-get install chromium, or set CHROMIUM_PATH).`);
    return;
  }
  console.log("easel: installing Chromium (Debian package) for the gallery's browser test");
  const help = "install Chromium yourself (apt-get install chromium) or set CHROMIUM_PATH.";
  run("apt-get", ["update", "-qq"], help);
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], help);
}

buildBrowserClient();
setUpPython();
setUpBrowser();
