import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

// `npm run bench`: runs every benchmark script, prints their tables and writes them, with the
// machine and the command, to docs/benchmarks.md. Figures come from here, never from tests.
type Bench = { title: string; command: string[] };

const BENCHES: Bench[] = [
  { title: "GPU handler: delivery per image", command: ["node", "scripts/run-python.js", "scripts/bench/handler_delivery.py", "--rounds", "3"] },
  { title: "GPU handler: delivery overlapping generation", command: ["node", "scripts/run-python.js", "scripts/bench/handler_overlap.py", "--json", ".easel/bench/handler_overlap.json"] },
  { title: "Worker: webhook to recorded image, through the local stack", command: ["tsx", "scripts/bench/worker_webhooks.ts"] },
];

function machine(): string {
  const python = spawnSync("python3", ["--version"], { encoding: "utf8" }).stdout.trim();
  return [
    `- date: ${new Date().toISOString()}`,
    `- CPU: ${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
    `- memory: ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `- Node ${process.version}, ${python}`,
  ].join("\n");
}

const sections: string[] = [];
let failed = 0;
for (const bench of BENCHES) {
  console.log(`\n## ${bench.title}\n`);
  const [program, ...args] = bench.command as [string, ...string[]];
  const run = spawnSync(program, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  process.stdout.write(run.stdout);
  if (run.status !== 0) {
    failed++;
    console.error(`bench failed: ${bench.command.join(" ")} exited ${run.status}`);
    continue;
  }
  sections.push(`## ${bench.title}\n\nCommand: \`${bench.command.join(" ")}\`\n\n${run.stdout.trim()}\n`);
}

writeFileSync(
  "docs/benchmarks.md",
  `# Benchmarks\n\nWritten by \`npm run bench\` (scripts/bench/index.ts); rerun it to refresh.\n\n## Machine\n\n${machine()}\n\n${sections.join("\n")}`,
);
console.log("\nwrote docs/benchmarks.md");
process.exit(failed ? 1 : 0);
