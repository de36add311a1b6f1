import { createServer, type Server } from "node:http";
import { listen, readBody, type RunningServer } from "./http-server.js";

/**
 * RunPod's serverless API as the Worker sees it (`/v2/{endpoint}/run|status|cancel`), on loopback,
 * for the workerd tests. A prompt containing `[runpod:500]` or `[runpod:hang]` makes `/run` fail;
 * `[runpod:slow]` queues the run but answers only after the Worker gave up waiting (the dispatch
 * timeout race). `/_test/*` lets a test read what was dispatched (one job's run, or the ids of an
 * owner's jobs) and set what `/status` answers (`{"fail": 503}` makes it answer that status).
 */
// Longer than the Worker's RunPod timeout in the tests (RUNPOD_REQUEST_TIMEOUT_MS = 1000).
const SLOW_ANSWER_MS = 3_000;

type Recorded = { endpoint: string; runpodId: string; body: { input?: { job_id?: string; outputs?: { key: string }[] }; webhook?: string } };

export async function startFakeRunpod(port = 0, apiKey = "test-runpod-key"): Promise<RunningServer> {
  const runs = new Map<string, Recorded>();
  const statuses = new Map<string, unknown>();
  const canceled = new Set<string>();
  let counter = 0;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const body = req.method === "POST" ? await readBody(req) : "";
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(payload));
    };
    const [, v2, endpoint, action, id] = url.pathname.split("/");

    if (url.pathname === "/_test/runs") {
      const owner = `jobs/${url.searchParams.get("owner")}/`;
      const jobIds = [...runs].filter(([, run]) => run.body.input?.outputs?.some((output) => output.key.startsWith(owner))).map(([jobId]) => jobId);
      return send(200, { jobIds });
    }
    if (url.pathname.startsWith("/_test/runs/")) {
      const run = runs.get(decodeURIComponent(url.pathname.slice("/_test/runs/".length)));
      return run ? send(200, { ...run, canceled: canceled.has(run.runpodId) }) : send(404, { error: "no run for that job" });
    }
    if (url.pathname.startsWith("/_test/status/") && req.method === "POST") {
      statuses.set(url.pathname.slice("/_test/status/".length), JSON.parse(body));
      return send(200, { ok: true });
    }
    if (v2 !== "v2" || !endpoint) return send(404, { error: "not found" });
    if (req.headers.authorization !== `Bearer ${apiKey}`) return send(401, { error: "bad api key" });
    if (action === "run" && req.method === "POST") {
      if (body.includes("[runpod:500]")) return send(500, { error: "internal error" });
      if (body.includes("[runpod:hang]")) return; // never answers: the Worker's timeout must end it
      const parsed = JSON.parse(body) as Recorded["body"];
      const runpodId = `rp-${++counter}`;
      runs.set(parsed.input?.job_id ?? runpodId, { endpoint, runpodId, body: parsed });
      if (body.includes("[runpod:slow]")) return void setTimeout(() => send(200, { id: runpodId, status: "IN_QUEUE" }), SLOW_ANSWER_MS).unref();
      return send(200, { id: runpodId, status: "IN_QUEUE" });
    }
    if (action === "status" && id) {
      const status = statuses.get(id) as { fail?: number } | undefined;
      if (status?.fail) return send(status.fail, { error: "status unavailable" });
      return send(200, status ?? { id, status: "IN_PROGRESS" });
    }
    if (action === "cancel" && id && req.method === "POST") {
      canceled.add(id);
      return send(200, { id, status: "CANCELLED" });
    }
    send(404, { error: "not found" });
  });
  return listen(server, port);
}
