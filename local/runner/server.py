"""A local RunPod serverless queue that runs the real handler: Easel's `RUNPOD_API_BASE` for local runs.

    python local/runner/server.py --port 8790 --handler gpu-handler/handler.py

Serves RunPod's queue API for any endpoint id: `POST /v2/{endpoint}/run`, `GET
/v2/{endpoint}/status/{id}`, `POST /v2/{endpoint}/cancel/{id}`, `GET /v2/{endpoint}/health`,
with `Authorization: Bearer $RUNPOD_API_KEY`. Each endpoint has `--workers-per-endpoint` worker
slots, each keeping one warm handler process (worker_slot.py) that runs its jobs one after
another, in the runner's environment (`EASEL_ENGINE=cpu` unless it names another engine); when
a job ends, RunPod's completion webhook is POSTed. `GET /health` answers without a key, for the
stack's readiness check.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import re
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Mapping

from jobs import JobQueue, RunpodJob
from webhook import WebhookSender
from worker_slot import WorkerSlot

ROUTE = re.compile(r"^/v2/(?P<endpoint>[A-Za-z0-9_.-]+)/(?P<action>run|runsync|status|cancel|health)(?:/(?P<id>[^/]+))?/?$")
MAX_BODY = 10 * 1024 * 1024


class Runner:
    def __init__(self, api_key: str, job_queue: JobQueue) -> None:
        self.api_key = api_key
        self.queue = job_queue


def make_handler(runner: Runner) -> type[BaseHTTPRequestHandler]:
    class RunpodApi(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            sys.stderr.write(f"runner: {self.command} {self.path.split('?')[0]} {args[1] if len(args) > 1 else ''}\n")

        def send_json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def authorized(self) -> bool:
            header = self.headers.get("authorization", "")
            presented = header[7:] if header.lower().startswith("bearer ") else header
            return hmac.compare_digest(presented.encode(), runner.api_key.encode())

        def do_GET(self) -> None:
            self.route("GET")

        def do_POST(self) -> None:
            self.route("POST")

        def route(self, method: str) -> None:
            path = self.path.split("?")[0]
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                return self.send_json(413, {"error": "request body too large"})
            raw = self.rfile.read(length) if length else b""
            if path == "/health" and method == "GET":
                return self.send_json(200, {"ok": True})
            match = ROUTE.match(path)
            if not match:
                return self.send_json(404, {"error": "not found"})
            if not self.authorized():
                return self.send_json(401, {"error": "Unauthorized: send Authorization: Bearer <RUNPOD_API_KEY>"})
            endpoint, action, job_id = match["endpoint"], match["action"], match["id"]
            if action == "run" and method == "POST" and job_id is None:
                return self.run(endpoint, raw)
            if action == "status" and job_id:
                return self.answer(runner.queue.get(endpoint, job_id))
            if action == "cancel" and method == "POST" and job_id:
                return self.answer(runner.queue.cancel(endpoint, job_id))
            if action == "health" and method == "GET":
                return self.send_json(200, {"jobs": runner.queue.counts(endpoint), "workers": {"idle": 0, "running": 0}})
            if action == "runsync":
                return self.send_json(400, {"error": "the local runner serves /run only"})
            self.send_json(404, {"error": "not found"})

        def run(self, endpoint: str, raw: bytes) -> None:
            try:
                body = json.loads(raw or b"null")
            except json.JSONDecodeError:
                return self.send_json(400, {"error": "body is not JSON"})
            if not isinstance(body, dict) or "input" not in body:
                return self.send_json(400, {"error": "body must be an object with an input"})
            webhook = body.get("webhook")
            policy = body.get("policy") if isinstance(body.get("policy"), dict) else {}
            job = runner.queue.submit(endpoint, body["input"], webhook if isinstance(webhook, str) else None, policy)
            self.send_json(200, {"id": job.id, "status": "IN_QUEUE"})

        def answer(self, job: RunpodJob | None) -> None:
            if job is None:
                return self.send_json(404, {"error": "request does not exist"})
            self.send_json(200, job.view())

    return RunpodApi


def build(
    api_key: str, handler_path: Path, workers_per_endpoint: int, webhook_retry_s: float, env: Mapping[str, str] = os.environ
) -> tuple[Runner, JobQueue]:
    sender = WebhookSender(retry_delay_s=webhook_retry_s)

    def notify(job: RunpodJob) -> None:
        print(f"runner: job {job.id} {job.status}", file=sys.stderr, flush=True)
        if job.webhook:
            sender.send_in_background(job.webhook, job.view())

    job_queue = JobQueue(lambda worker_id: WorkerSlot(worker_id, handler_path, env), notify, workers_per_endpoint)
    return Runner(api_key, job_queue), job_queue


def exit_when_parent_goes(job_queue: JobQueue) -> None:
    while sys.stdin.buffer.read(4096):
        pass
    job_queue.stop_all()
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--handler", type=Path, default=Path(__file__).resolve().parents[2] / "gpu-handler" / "handler.py")
    parser.add_argument("--workers-per-endpoint", type=int, default=1)
    parser.add_argument("--webhook-retry-seconds", type=float, default=10.0)
    parser.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin closes (the parent that started us is gone)")
    args = parser.parse_args()

    api_key = os.environ.get("RUNPOD_API_KEY")
    if not api_key:
        sys.exit("runner: set RUNPOD_API_KEY to the key the Worker sends")
    handler_path = args.handler.resolve()
    if not handler_path.is_file():
        sys.exit(f"runner: no handler at {handler_path}")

    runner, job_queue = build(api_key, handler_path, args.workers_per_endpoint, args.webhook_retry_seconds)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(runner))
    server.daemon_threads = True

    def shut_down(signum: int, _frame: Any) -> None:
        job_queue.stop_all()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    if args.exit_with_stdin:
        threading.Thread(target=exit_when_parent_goes, args=(job_queue,), daemon=True).start()
    print(f"runner: RunPod-compatible queue on http://{args.host}:{args.port} running {handler_path}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
