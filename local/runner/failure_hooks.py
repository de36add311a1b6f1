"""Test-only failure injection, switched on by a marker in the job's prompt.

`[runner:stall-mid-job]` blocks the handler, and `[runner:die-mid-job]` kills its process with
SIGKILL, at the moment the handler starts a job's second image upload: one image is delivered
and announced, the rest never come. The end-to-end tests use them for the cancel and
killed-handler cases; a prompt without a marker is never touched.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any, Callable, Optional

STALL = "[runner:stall-mid-job]"
DIE = "[runner:die-mid-job]"

Job = dict[str, Any]


def marker(job: Job) -> str | None:
    job_input = job.get("input")
    params = job_input.get("params") if isinstance(job_input, dict) else None
    prompt = params.get("prompt") if isinstance(params, dict) else None
    if not isinstance(prompt, str):
        return None
    return next((name for name in (STALL, DIE) if name in prompt), None)


def install(running_job: Callable[[], Optional[Job]]) -> None:
    """Installs, once per process, the hook that acts on whichever job `running_job` names at the time.

    An audit hook cannot be removed, and a warm handler process runs many jobs: so one hook is
    installed at start, and it counts each job's uploads on their own.
    """
    counted: dict[str, Any] = {"job": None, "uploads": 0}
    lock = threading.Lock()

    def on_audit(event: str, args: tuple[Any, ...]) -> None:
        # http.client raises this for every write; a request's first write starts with its method.
        if event != "http.client.send":
            return
        job = running_job()
        chosen = marker(job) if job is not None else None
        if chosen is None:
            return
        data = args[1]
        if not isinstance(data, (bytes, bytearray, memoryview)) or bytes(data[:4]) != b"PUT ":
            return
        with lock:
            if counted["job"] != job.get("id"):
                counted.update(job=job.get("id"), uploads=0)
            counted["uploads"] += 1
            uploads = counted["uploads"]
        if uploads < 2:
            return
        print(f"runner test hook: {chosen} at upload {uploads}", file=sys.stderr, flush=True)
        if chosen == DIE:
            os.kill(os.getpid(), signal.SIGKILL)
        threading.Event().wait()

    sys.addaudithook(on_audit)
