import { rmSync, writeFileSync } from "node:fs";
import type { LocalStackFile } from "../../packages/client/src/cli/local-stack.js";

/** Tells the CLI (`npx easel …`) that this stack runs, where, and where its key is; see findLocalStack. */
export function writeStackFile(file: string, stack: LocalStackFile): void {
  writeFileSync(file, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
}

export function removeStackFile(file: string): void {
  rmSync(file, { force: true });
}
