"""A RunPod worker of one endpoint: a warm handler process that runs the slot's jobs one after another.

The process imports the handler once, as a RunPod worker stays up between jobs. When a job's
cancel or execution timeout kills it, or it dies mid-job, or the handler's output asks for
`refresh_worker`, a new process is started at once, so the next job does not wait for the import.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Mapping

from handler_process import HandlerProcess
from jobs import CancelToken, RunOutcome, RunpodJob


def handler_env(runner_env: Mapping[str, str], worker_id: str) -> dict[str, str]:
    """The runner's environment (EASEL_ENGINE defaults to the cpu engine) and the slot's RunPod pod id."""
    return {"EASEL_ENGINE": "cpu", **runner_env, "PYTHONUNBUFFERED": "1", "RUNPOD_POD_ID": worker_id}


def log(message: str) -> None:
    print(f"runner: {message}", file=sys.stderr, flush=True)


class WorkerSlot:
    def __init__(self, worker_id: str, handler_path: Path, runner_env: Mapping[str, str]) -> None:
        self.worker_id = worker_id
        self._handler_path = handler_path
        self._env = handler_env(runner_env, worker_id)
        self._lock = threading.Lock()
        self._closed = False
        self._process = self._start()

    def _start(self) -> HandlerProcess:
        process = HandlerProcess(self._handler_path, self._env)
        log(f"{self.worker_id} started handler process {process.pid}")
        return process

    def _replace(self) -> HandlerProcess:
        with self._lock:
            if not self._closed:
                self._process = self._start()
            return self._process

    def __call__(self, job: RunpodJob, token: CancelToken) -> RunOutcome:
        process = self._process
        if not process.alive():
            log(f"{self.worker_id} handler process {process.pid} ended while idle with {process.exit_code()}")
            process = self._replace()
        result = process.run(job, token)
        if result is None:
            # Killed by a cancel or the execution timeout, or died: the job's timer decides its end.
            self._replace()
            log(f"job {job.id}: handler process {process.pid} ended with {process.exit_code()} before a result")
            return ("LOST", None, None)
        if result.get("stopPod"):
            self._replace()
            log(f"job {job.id} asked for refresh_worker: handler process {process.pid} retired")
            threading.Thread(target=process.retire, name=f"retire-{process.pid}", daemon=True).start()
        if result.get("error"):
            return ("FAILED", result.get("output"), result["error"])
        return ("COMPLETED", result.get("output"), None)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            process = self._process
        process.kill()
