import { readFile } from "node:fs/promises";
import { EaselClient as BrowserSafeClient } from "./client.js";

export * from "./index.js";

/** The client on Node: `uploads.upload` also takes a file path. */
export class EaselClient extends BrowserSafeClient {
  protected override readPath(path: string): Promise<Uint8Array> {
    return readFile(path);
  }
}
