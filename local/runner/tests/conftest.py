import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

RUNNER_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RUNNER_DIR))

from server import build, make_handler  # noqa: E402

API_KEY = "test-runpod-key"
FAKE_HANDLER = Path(__file__).with_name("fake_handler.py")
WAIT_S = 30


class Recorder:
    """Stands in for the Worker (webhooks) and the bucket (PUTs), and lets tests wait on what arrives."""

    def __init__(self):
        self.webhooks: list[dict] = []
        self.puts: list[str] = []
        self.changed = threading.Condition()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with recorder.changed:
                    recorder.webhooks.append(json.loads(body))
                    recorder.changed.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def do_PUT(self):
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with recorder.changed:
                    recorder.puts.append(self.path)
                    recorder.changed.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def webhook_for(self, job_id: str) -> dict:
        with self.changed:
            found = self.changed.wait_for(lambda: next((w for w in self.webhooks if w["id"] == job_id), None), WAIT_S)
        assert found, f"no webhook for {job_id}"
        return found


class RunnerClient:
    def __init__(self, url: str, queue, import_log: Path):
        self.url, self.queue, self.import_log = url, queue, import_log

    def call(self, method: str, path: str, body=None, key: str | None = API_KEY):
        headers = {"content-type": "application/json"}
        if key is not None:
            headers["authorization"] = f"Bearer {key}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def run(self, job_input: dict, webhook: str | None = None, policy: dict | None = None, endpoint: str = "ep") -> str:
        status, body = self.call("POST", f"/v2/{endpoint}/run", {"input": job_input, "webhook": webhook, "policy": policy or {}})
        assert status == 200 and body["status"] == "IN_QUEUE", body
        return body["id"]

    def wait_for_end(self, job_id: str) -> None:
        job = self.queue.get("ep", job_id)
        assert job.ended.wait(WAIT_S), f"job {job_id} did not end"

    def handler_imports(self, at_least: int = 0) -> list[tuple[int, str]]:
        """(pid, RUNPOD_POD_ID) of every handler import so far; waits until there are `at_least`."""
        deadline = time.monotonic() + WAIT_S
        while True:
            lines = self.import_log.read_text().splitlines() if self.import_log.exists() else []
            if len(lines) >= at_least or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        imports = [(int(pid), pod) for pid, pod in (line.split(" ", 1) for line in lines)]
        assert len(imports) >= at_least, f"{len(imports)} handler imports, waited for {at_least}"
        return imports


@pytest.fixture
def recorder():
    recorder = Recorder()
    yield recorder
    recorder.server.shutdown()


@pytest.fixture
def start_runner(tmp_path):
    """Starts runners on free ports; `env` is the runner's environment (the handler processes inherit it)."""
    started = []

    def start(workers_per_endpoint: int = 1, env: dict | None = None, handler: Path = FAKE_HANDLER) -> RunnerClient:
        import_log = tmp_path / f"imports-{len(started)}.log"
        handler_env = {**(os.environ if env is None else env), "FAKE_HANDLER_IMPORT_LOG": str(import_log)}
        handle, queue = build(API_KEY, handler, workers_per_endpoint, webhook_retry_s=0.05, env=handler_env)
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(handle))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append((queue, server))
        return RunnerClient(f"http://127.0.0.1:{server.server_address[1]}", queue, import_log)

    yield start
    for queue, server in started:
        queue.stop_all()
        server.shutdown()


@pytest.fixture
def runner(start_runner):
    return start_runner()
