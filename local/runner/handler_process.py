"""One warm handler process (worker.py) and its line protocol: a job in on stdin, its result out on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Mapping, Optional

from jobs import CancelToken, RunpodJob

WORKER = Path(__file__).with_name("worker.py")
RETIRE_GRACE_S = 10.0


class HandlerProcess:
    def __init__(self, handler_path: Path, env: Mapping[str, str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, str(WORKER), str(handler_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(env),
            cwd=handler_path.parent,
        )
        self._lock = threading.Lock()
        self._running_job: Optional[str] = None

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def run(self, job: RunpodJob, token: CancelToken) -> Optional[dict[str, Any]]:
        """The job's result, or None when the process ended (killed by `token`, or died) before giving one."""
        with self._lock:
            self._running_job = job.id
        token.on_stop(lambda: self._kill_while_running(job.id))
        assert self._process.stdin is not None and self._process.stdout is not None
        try:
            self._process.stdin.write(json.dumps({"id": job.id, "input": job.input}).encode() + b"\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        except OSError:
            line = b""
        finally:
            with self._lock:
                self._running_job = None
        return json.loads(line) if line.endswith(b"\n") else None

    def _kill_while_running(self, job_id: str) -> None:
        # A cancel that comes after the job gave its result must not kill the next job.
        with self._lock:
            if self._running_job == job_id:
                self._process.kill()

    def exit_code(self) -> int:
        """Waits for the process to end (it has been killed, or died) and reaps it."""
        return self._process.wait()

    def retire(self) -> None:
        """Lets an idle process end on its own (stdin closed), killing it if it does not in time."""
        try:
            if self._process.stdin is not None:
                self._process.stdin.close()
            self._process.wait(RETIRE_GRACE_S)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def kill(self) -> None:
        self._process.kill()
        self._process.wait()
