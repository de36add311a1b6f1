import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listen, type RunningServer } from "./http-server.js";

/**
 * Sits between the Worker and an S3 server, forwarding every request untouched (same Host, so
 * signatures still verify), and stages failures for the keys under a prefix, so that each test
 * scopes them to its own owner:
 *   POST /_outage?prefix=…          requests fail with 503 until DELETE /_outage?prefix=…
 *   POST /_outage?prefix=…&after=N  the first N bytes of a request's body reach the store, then
 *                                   the connection is cut (a store failing mid-upload)
 *   GET /_received?prefix=…         {bytes}: how many body bytes have reached the store so far
 */
export async function startOutageProxy(targetPort: number, port = 0): Promise<RunningServer> {
  const outages = new Map<string, number | null>();
  const received = new Map<string, number>();
  const under = (path: string, prefix: string) => path.includes(prefix);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const prefix = url.searchParams.get("prefix") ?? "";
    if (url.pathname === "/_outage") {
      if (req.method === "POST") outages.set(prefix, url.searchParams.has("after") ? Number(url.searchParams.get("after")) : null);
      else outages.delete(prefix);
      return res.writeHead(204).end();
    }
    if (url.pathname === "/_received") {
      const bytes = [...received].filter(([path]) => under(path, prefix)).reduce((sum, [, count]) => sum + count, 0);
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ bytes }));
    }
    const path = decodeURIComponent(url.pathname);
    const outage = [...outages].find(([outagePrefix]) => under(path, outagePrefix));
    if (outage && outage[1] === null) {
      req.resume();
      return res.writeHead(503, { "content-type": "application/xml" }).end("<Error><Code>SlowDown</Code></Error>");
    }
    forward(req, res, targetPort, path, received, outage?.[1] ?? Infinity);
  });
  return listen(server, port);
}

/** Passes the request on, counting its body bytes, and cuts both connections after `cutAfter` of them. */
function forward(req: IncomingMessage, res: ServerResponse, targetPort: number, path: string, received: Map<string, number>, cutAfter: number) {
  // No keep-alive towards the store, so that closing the proxy leaves no connection open there.
  const target = { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers, agent: false };
  const upstream = httpRequest(target, (response) => {
    res.writeHead(response.statusCode ?? 502, response.headers);
    response.pipe(res);
  });
  upstream.on("error", () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
  let forwarded = 0;
  req.on("data", (chunk: Buffer) => {
    const part = chunk.subarray(0, Math.max(0, cutAfter - forwarded));
    forwarded += part.length;
    received.set(path, (received.get(path) ?? 0) + part.length);
    if (forwarded < cutAfter) {
      // Backpressure: the sender waits while the store is slower than it.
      if (!upstream.write(part)) req.pause();
      return;
    }
    upstream.write(part, () => {
      upstream.destroy();
      req.socket.destroy();
    });
    req.pause();
  });
  upstream.on("drain", () => req.resume());
  req.on("end", () => upstream.end());
  // A sender that gives up mid-body: the store must not wait for the rest for ever.
  req.on("close", () => req.complete || upstream.destroy());
}
