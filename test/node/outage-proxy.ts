import { request as httpRequest, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Sits between the Worker and the S3 server, forwarding every request untouched (same Host, so
 * signatures still verify). `POST /_outage?prefix=…` makes requests for keys under that prefix
 * fail with 503 until `DELETE /_outage?prefix=…`: a bucket outage scoped to one test's owner.
 */
export async function startOutageProxy(targetPort: number, port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const outages = new Set<string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/_outage") {
      const prefix = url.searchParams.get("prefix") ?? "";
      if (req.method === "POST") outages.add(prefix);
      else outages.delete(prefix);
      return res.writeHead(204).end();
    }
    const path = decodeURIComponent(url.pathname);
    if ([...outages].some((prefix) => path.includes(prefix))) {
      req.resume();
      return res.writeHead(503, { "content-type": "application/xml" }).end("<Error><Code>SlowDown</Code></Error>");
    }
    const upstream = httpRequest(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
