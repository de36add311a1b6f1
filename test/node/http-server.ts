import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";

export type RunningServer = { port: number; close: () => Promise<void> };

/** Listens on loopback (port 0: a free one); `close` also ends the connections still open. */
export async function listen(server: Server, port = 0): Promise<RunningServer> {
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
