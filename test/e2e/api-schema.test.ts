import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { EaselClient } from "@easel/client";
import { VENV_PYTHON } from "../../scripts/stack/paths.js";
import { stack } from "./support.js";

/**
 * schemathesis against the running stack, as tools read the API: no 5xx, and every status, content
 * type and body (each live event included) as /openapi.json describes it. Bounded: a few examples
 * per operation, 60 s of fuzzing at most. The handler's signed webhook routes are left out: fuzzing
 * can only get their 401.
 */
it("answers schemathesis without a server error and as the description says", async () => {
  const { workerUrl, adminToken } = stack();
  const { key } = await new EaselClient({ baseUrl: workerUrl, adminToken }).keys.create({ owner: `schemathesis-${Date.now().toString(36)}` });
  const reports = mkdtempSync(join(tmpdir(), "easel-schemathesis-"));
  const args = [
    "-m", "schemathesis.cli", "run", `${workerUrl}/openapi.json`,
    "--header", `Authorization: Bearer ${key}`,
    "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
    "--phases", "examples,coverage,fuzzing,stateful",
    "--max-examples", "5", "--max-time", "60", "--seed", "1", "--workers", "1",
    "--exclude-path-regex", "^/api/webhooks/(generation|runpod)/",
    "--report-dir", reports, "--no-color",
  ];
  // Run in the scratch folder: schemathesis keeps its example database in the working directory.
  const child = spawn(VENV_PYTHON, args, { cwd: reports });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  rmSync(reports, { recursive: true, force: true });
  expect(code, output.slice(-4000)).toBe(0);
  expect(output).toMatch(/\d+ generated, \d+ passed/);
}, 180_000);
