import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { StackError } from "./errors.js";

export const HOST = "127.0.0.1";

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, HOST, () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

export function freePort(): Promise<number> {
  return listenOnce(0);
}

/** Fails with a readable error when `port` is in use; `setting` names the variable that moves it. */
export async function requireFreePort(port: number, part: string, setting: string): Promise<number> {
  try {
    return await listenOnce(port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new StackError(
        `port ${port} (${part}) is taken by another program`,
        `stop that program (\`lsof -i :${port}\` shows it; another \`npm start\`?) or choose another port: ${setting}=<port> npm start`,
      );
    }
    throw new StackError(`cannot listen on ${HOST}:${port} for ${part}: ${(error as Error).message}`);
  }
}
