#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it as it loads, on any Node from 20 on.
import { tsImport } from "tsx/esm/api";

await tsImport("../src/cli/main.ts", import.meta.url);
