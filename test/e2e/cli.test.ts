import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EaselClient } from "@easel/client";
import { REPO_ROOT, stateDirFor } from "../../scripts/stack/paths.js";
import { contentImage, styleImage } from "../../scripts/stack/sample-images.js";
import { stack } from "./support.js";

const scratch = mkdtempSync(join(tmpdir(), "easel-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Ran = { code: number | null; stdout: string; stderr: string };

const BIN = join(REPO_ROOT, "node_modules", ".bin", "easel");

/**
 * `npx easel …` as a user types it in the repository (npm finds the workspace's bin, whatever Node
 * comes first on PATH); elsewhere the installed bin itself.
 */
function easel(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Ran> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("EASEL_")));
  const [command, prefix] = options.cwd ? [BIN, []] : ["npx", ["--no-install", "easel"]];
  const child = spawn(command, [...prefix, ...args], { cwd: options.cwd ?? REPO_ROOT, env: { ...env, ...options.env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

async function connection(owner: string) {
  const { workerUrl, adminToken } = stack();
  const admin = new EaselClient({ baseUrl: workerUrl, adminToken });
  const { key } = await admin.keys.create({ owner: `${owner}-${Date.now().toString(36)}` });
  return { EASEL_API_URL: workerUrl, EASEL_API_KEY: key, EASEL_ADMIN_TOKEN: adminToken };
}

const isPng = (path: string) => readFileSync(path).subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47]));

describe("the easel CLI against the local stack", () => {
  it("runs a text-to-image job, shows its progress from live events and writes its images", async () => {
    const env = await connection("cli-run");
    const out = join(scratch, "text-to-image");
    const ran = await easel(["run", "text-to-image", "--prompt", "a lighthouse", "--num-images", "2", "--width", "256", "--height", "256", "--out", out], { env });
    expect(ran.code, ran.stderr).toBe(0);
    const jobId = ran.stdout.split(" ")[0]!;
    expect(ran.stdout).toContain(`${jobId} completed`);
    expect(readdirSync(out).sort()).toEqual([`${jobId}-0.png`, `${jobId}-1.png`]);
    for (const file of readdirSync(out)) expect(isPng(join(out, file))).toBe(true);
    expect(ran.stderr).toMatch(new RegExp(`${jobId} image 1/2`));
    expect(ran.stderr).toMatch(new RegExp(`${jobId} image 2/2`));
    expect(ran.stderr).toMatch(new RegExp(`${jobId} completed`));

    const listed = await easel(["jobs", "list"], { env });
    expect(listed.stdout).toContain(jobId);
    expect(listed.stdout).toMatch(/text-to-image\s*│\s*completed\s*│\s*2/);
    const watched = await easel(["jobs", "watch", jobId], { env });
    expect(watched.code).toBe(0);
    expect(watched.stderr).toContain(`${jobId} completed`);
  });

  it("uploads the two images of a style transfer and saves its outputs", async () => {
    const env = await connection("cli-style");
    const style = join(scratch, "style.png");
    const content = join(scratch, "content.png");
    writeFileSync(style, styleImage(256));
    writeFileSync(content, contentImage(256));
    const out = join(scratch, "style-transfer");
    const ran = await easel(["run", "style-transfer", "--style", style, "--content", content, "--num-images", "1", "--width", "256", "--height", "256", "--out", out], { env });
    expect(ran.code, ran.stderr).toBe(0);
    expect(readdirSync(out)).toHaveLength(1);
  });

  it("prints the storage report as a table, and manages keys: a revoked key is refused at once", async () => {
    const env = await connection("cli-admin");
    const report = await easel(["storage-report"], { env });
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/job type\s*│\s*images\s*│\s*S3-only/);
    expect(report.stdout).toMatch(/text-to-image\s*│/);

    const owner = `cli-keys-${Date.now().toString(36)}`;
    const created = await easel(["keys", "create", "--owner", owner, "--name", "ci", "--json"], { env });
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string };
    const listed = await easel(["keys", "list", "--owner", owner], { env });
    expect(listed.stdout).toContain(key.id);
    expect(listed.stdout).not.toContain(key.key);
    const withKey = { ...env, EASEL_API_KEY: key.key };
    expect((await easel(["jobs", "list"], { env: withKey })).code).toBe(0);
    expect((await easel(["keys", "revoke", key.id], { env })).code).toBe(0);
    const refused = await easel(["jobs", "list"], { env: withKey });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/unauthorized, HTTP 401/);
  });

  it("finds the running local stack by itself from its stack file, and runs a style transfer through it", async () => {
    const stackFile = join(stateDirFor(stack().root, stack().store.mode), "stack.json");
    expect(JSON.parse(readFileSync(stackFile, "utf8"))).toMatchObject({ workerUrl: stack().workerUrl, store: stack().store.mode });
    const inside = join(stack().root, "some", "folder");
    mkdirSync(inside, { recursive: true });
    const style = join(scratch, "found-style.png");
    const content = join(scratch, "found-content.png");
    writeFileSync(style, styleImage(128));
    writeFileSync(content, contentImage(128));
    const out = join(scratch, "found");
    // Nothing configured: the key, the URL and (network-volume mode) the upload route all come from the stack.
    const ran = await easel(["run", "style-transfer", "--style", style, "--content", content, "--num-images", "1", "--width", "128", "--height", "128", "--out", out], { cwd: inside });
    expect(ran.code, ran.stderr).toBe(0);
    expect(readdirSync(out)).toHaveLength(1);
    const report = await easel(["storage-report"], { cwd: inside });
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout).toMatch(/style-transfer\s*│/);
  });

  it("ignores a stack file whose Worker does not answer, saying so", async () => {
    const repo = join(scratch, "stale-repo");
    mkdirSync(join(repo, ".easel", "network-volume"), { recursive: true });
    const live = readFileSync(join(stateDirFor(stack().root, stack().store.mode), "stack.json"), "utf8");
    const stale = { ...JSON.parse(live), workerUrl: "http://127.0.0.1:9", startedAt: new Date().toISOString() };
    writeFileSync(join(repo, ".easel", "stack.json"), JSON.stringify(stale));
    writeFileSync(join(repo, ".easel", "network-volume", "stack.json"), live);
    const found = await easel(["jobs", "list", "--json"], { cwd: repo });
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout)).toEqual(expect.any(Array));
    expect(found.stderr).toContain("ignoring .easel/stack.json: its Worker (http://127.0.0.1:9) does not answer");

    rmSync(join(repo, ".easel", "network-volume", "stack.json"));
    const nowhere = await easel(["jobs", "list"], { cwd: repo });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain("ignoring .easel/stack.json");
    expect(nowhere.stderr).toMatch(/no API to talk to/);
    const outside = await easel(["jobs", "list"], { cwd: scratch });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/no API to talk to/);
    expect(outside.stderr).not.toContain("easel run text-to-image");
  });

  it("explains a bad call with the usage and exit code 2", async () => {
    const ran = await easel(["run", "text-to-image", "--out", scratch], { env: await connection("cli-usage") });
    expect(ran.code).toBe(2);
    expect(ran.stderr).toMatch(/--prompt is required/);
    expect(ran.stderr).toContain("easel run text-to-image");
  });
});
