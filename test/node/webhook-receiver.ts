import { createServer, type Server } from "node:http";
import type { ReceivedWebhook, ScriptedAnswer } from "../helpers/webhook-receiver.js";
import { listen, readBody, type RunningServer } from "./http-server.js";

/**
 * A client's webhook endpoint on loopback, for the workerd tests. `POST /hooks/{name}` records the
 * request and answers the next scripted answer for `name` (200 once the script is used up);
 * `/_test/script/{name}` sets the script, `/_test/received/{name}` tells what came.
 */
export async function startWebhookReceiver(): Promise<RunningServer> {
  const scripts = new Map<string, ScriptedAnswer[]>();
  const received = new Map<string, ReceivedWebhook[]>();

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const body = await readBody(req);
    const [, area, action, name] = url.pathname.split("/");
    if (area === "_test" && action === "script" && name) {
      scripts.set(name, JSON.parse(body) as ScriptedAnswer[]);
      return res.writeHead(204).end();
    }
    if (area === "_test" && action === "received" && name) {
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received.get(name) ?? []));
    }
    if (area !== "hooks" || !action || req.method !== "POST") return res.writeHead(404).end();
    received.set(action, [...(received.get(action) ?? []), { headers: req.headers as Record<string, string>, body }]);
    const answer = scripts.get(action)?.shift() ?? { status: 200 };
    if (answer.hang) return; // never answers: the sender's timeout must end it
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(Buffer.alloc(answer.bodyBytes ?? 0, "x"));
  });
  return listen(server);
}
