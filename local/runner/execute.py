"""Runs one job in a fresh worker process (worker.py) and reads back its result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from jobs import CancelToken, RunOutcome, RunpodJob

WORKER = Path(__file__).with_name("worker.py")


class ProcessExecutor:
    def __init__(self, handler_path: Path, engine: str = "cpu") -> None:
        self.handler_path = handler_path
        self.env = {**os.environ, "EASEL_ENGINE": engine, "PYTHONUNBUFFERED": "1"}

    def __call__(self, job: RunpodJob, token: CancelToken) -> RunOutcome:
        with tempfile.TemporaryDirectory(prefix="easel-runner-") as scratch:
            result_path = Path(scratch) / "result.json"
            process = subprocess.Popen(
                [sys.executable, str(WORKER), str(self.handler_path), str(result_path)],
                stdin=subprocess.PIPE,
                env={**self.env, "RUNPOD_POD_ID": job.worker_id or "local"},
                cwd=self.handler_path.parent,
            )
            token.on_stop(process.kill)
            assert process.stdin is not None
            try:
                process.stdin.write(json.dumps({"id": job.id, "input": job.input}).encode())
                process.stdin.close()
            except BrokenPipeError:
                pass
            code = process.wait()
            print(f"runner: job {job.id} worker exited with {code}", file=sys.stderr, flush=True)
            if not result_path.exists():
                return ("LOST", None, None)
            result: dict[str, Any] = json.loads(result_path.read_text())
        if result.get("error"):
            return ("FAILED", result.get("output"), result["error"])
        return ("COMPLETED", result.get("output"), None)
