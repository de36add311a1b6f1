import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { SIZE_SETTINGS } from "./side-by-side/sizes.js";

// `npm run bench`: runs every benchmark script, prints their tables and writes them, with the
// machine and the command, to docs/benchmarks.md; the side-by-side figures go to
// docs/benchmarks.json. Figures come from here, never from tests.
// `figures`: where the bench writes the JSON that becomes docs/benchmarks.json.
type Bench = { title: string; command: string[]; figures?: string };

// The handler's virtual environment directly (not through scripts/run-python.js), so a signal reaches the bench itself.
const PYTHON = "gpu-handler/.venv/bin/python";
const scratch = mkdtempSync(join(tmpdir(), "easel-bench-runner-"));
const SIDE_BY_SIDE_FIGURES = join(scratch, "side-by-side.json");

const BENCHES: Bench[] = [
  { title: "GPU handler: delivery per image", command: [PYTHON, "scripts/bench/handler_delivery.py", "--rounds", "3"] },
  { title: "GPU handler: delivery overlapping generation", command: [PYTHON, "scripts/bench/handler_overlap.py", "--json", ".easel/bench/handler_overlap.json"] },
  { title: "Worker: webhook to recorded image, through the local stack", command: ["tsx", "scripts/bench/worker_webhooks.ts"] },
  { title: "Worker primitives: CPU per request of what a webhook is made of", command: ["tsx", "scripts/bench/primitives/main.ts"] },
  { title: "Worker beside a bare Worker: ingest, visibility, listing", command: ["tsx", "scripts/bench/side-by-side/main.ts", SIDE_BY_SIDE_FIGURES], figures: SIDE_BY_SIDE_FIGURES },
  { title: "Worker: where the CPU of an image webhook goes (V8 profile)", command: ["tsx", "scripts/bench/profile/main.ts"] },
];

const sizeSettings = Object.keys(SIZE_SETTINGS).filter((name) => process.env[name]);
const command = [...sizeSettings.map((name) => `${name}=${process.env[name]}`), "npm run bench"].join(" ");

function machine(): string {
  const python = spawnSync("python3", ["--version"], { encoding: "utf8" }).stdout.trim();
  const wrangler = spawnSync("wrangler", ["--version"], { encoding: "utf8" }).stdout.trim().split("\n").at(-1);
  return [
    `- date: ${new Date().toISOString()}`,
    `- CPU: ${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
    `- memory: ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `- Node ${process.version}, ${python}, wrangler ${wrangler}`,
    `- load average (1, 5, 15 min) at the start: ${loadavg().map((load) => load.toFixed(2)).join(", ")}`,
  ].join("\n");
}

// Each bench leads its own process group, so a Ctrl-C reaches it once, through here, and it stops what it started.
let running: ChildProcess | undefined;
let interrupted = false;
/** `process.kill` for a process (pid) or a process group (-pid) that may be gone already. */
function kill(target: number, signal: NodeJS.Signals): void {
  try {
    process.kill(target, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}
const signalRunning = (signal: NodeJS.Signals, group = false) => {
  if (running?.pid !== undefined && running.exitCode === null && running.signalCode === null) kill(group ? -running.pid : running.pid, signal);
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    // Once, to the bench's own process (tsx passes it on to the script): tsx relays the terminal's Ctrl-C here too.
    if (interrupted) return;
    interrupted = true;
    console.error(`bench: ${signal}: stopping the running bench`);
    signalRunning(signal);
  });
}
process.on("exit", () => signalRunning("SIGKILL", true));

function run(bench: Bench): Promise<{ status: number | null; stdout: string }> {
  const [program, ...args] = bench.command as [string, ...string[]];
  // TMPDIR: every temporary folder of the bench is under `scratch`, removed once its process group is gone.
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", TMPDIR: scratch };
  const child = spawn(program, args, { stdio: ["ignore", "pipe", "inherit"], detached: true, env });
  running = child;
  let stdout = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    process.stdout.write(chunk);
  });
  return new Promise((resolve) => {
    child.once("error", (error) => resolve({ status: null, stdout: `${stdout}${error.message}` }));
    child.once("close", (status) => {
      // Anything of the bench's still in its group (a helper it started and did not wait for) goes too.
      kill(-child.pid!, "SIGKILL");
      resolve({ status, stdout });
    });
  });
}

const header = machine();
const sections: string[] = [];
let failed = 0;
let figuresWritten = false;
for (const bench of BENCHES) {
  if (interrupted) break;
  console.log(`\n## ${bench.title}\n`);
  const { status, stdout } = await run(bench);
  running = undefined;
  if (status !== 0) {
    failed++;
    console.error(`bench failed: ${bench.command.join(" ")} exited ${status}`);
    continue;
  }
  sections.push(`## ${bench.title}\n\nCommand: \`${bench.command.join(" ").replace(scratch, "$SCRATCH")}\`\n\n${stdout.trim()}\n`);
  if (bench.figures) {
    writeFileSync("docs/benchmarks.json", readFileSync(bench.figures, "utf8"));
    figuresWritten = true;
  }
}
rmSync(scratch, { recursive: true, force: true });
if (interrupted) {
  console.error("bench: interrupted; docs/benchmarks.md left as it was");
  process.exit(130);
}

writeFileSync(
  "docs/benchmarks.md",
  [
    "# Benchmarks",
    "",
    `Written by \`npm run bench\` (scripts/bench/index.ts); rerun it to refresh. The figures of the side-by-side bench are also in \`docs/benchmarks.json\` (ratios are Easel / bare). Sizes: ${Object.entries(SIZE_SETTINGS).map(([name, what]) => `\`${name}\` ${what}`).join("; ")}.`,
    "",
    `This run: \`${command}\`${failed ? ` (${failed} bench${failed > 1 ? "es" : ""} failed: see its output)` : ""}.`,
    "",
    "## Machine",
    "",
    header,
    "",
    sections.join("\n"),
  ].join("\n"),
);
console.log(`\nwrote docs/benchmarks.md${figuresWritten ? " and docs/benchmarks.json" : ""}`);
process.exit(failed ? 1 : 0);
