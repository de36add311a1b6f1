import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { StackError, describeFailure } from "./errors.js";
import { REPO_ROOT } from "./paths.js";

/**
 * `@easel/client` for browsers, as one ES module the gallery imports (public/easel-client.js,
 * ignored by git). Built by `npm install`'s setup step, and again before `wrangler dev` and
 * `wrangler deploy`, so the gallery always runs the client of this checkout.
 */
const BROWSER_CLIENT = join(REPO_ROOT, "public", "easel-client.js");
const ENTRY = join(REPO_ROOT, "packages", "client", "src", "index.ts");
// The contract's zod schemas would make the page download ~450 KB for three lists of names.
const MUST_NOT_BUNDLE = /node_modules\/zod\//;

export async function buildBrowserClient(): Promise<string> {
  let result;
  try {
    result = await build({
      entryPoints: [ENTRY],
      outfile: BROWSER_CLIENT,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      metafile: true,
      // Written only once checked: a bundle that fails the check never reaches the page.
      write: false,
      logLevel: "silent",
      legalComments: "none",
      banner: { js: "// Built from packages/client by scripts/stack/browser-client.ts: edit the client, not this file." },
    });
  } catch (error) {
    throw new StackError(`building the gallery's client (${ENTRY}) failed: ${(error as Error).message}`, "fix the client, then `npm run build:client`");
  }
  const heavy = Object.keys(result.metafile.inputs).filter((input) => MUST_NOT_BUNDLE.test(input));
  if (heavy.length) {
    throw new StackError(
      `the browser client pulls in zod (${heavy[0]}, ${heavy.length} files)`,
      "import the contract's names from schema/contract/names.ts, not from modules that build zod schemas",
    );
  }
  writeFileSync(BROWSER_CLIENT, result.outputFiles[0]!.contents);
  return BROWSER_CLIENT;
}

// `tsx scripts/stack/browser-client.ts` (npm run build:client) builds it on its own.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await buildBrowserClient().then(
    (file) => console.log(`easel: the gallery's client built: ${relative(REPO_ROOT, file)}`),
    (error: unknown) => {
      console.error(describeFailure(error));
      process.exit(1);
    },
  );
}
