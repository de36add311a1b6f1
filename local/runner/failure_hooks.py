"""Test-only failure injection, switched on by a marker in the job's prompt.

`[runner:stall-mid-job]` blocks the worker, and `[runner:die-mid-job]` kills it with SIGKILL, at
the moment the handler starts its second image upload: one image is delivered and announced,
the rest never come. The end-to-end tests use them for the cancel and killed-handler cases; a
prompt without a marker is never touched.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

STALL = "[runner:stall-mid-job]"
DIE = "[runner:die-mid-job]"


def marker(job: dict[str, Any]) -> str | None:
    job_input = job.get("input")
    params = job_input.get("params") if isinstance(job_input, dict) else None
    prompt = params.get("prompt") if isinstance(params, dict) else None
    if not isinstance(prompt, str):
        return None
    return next((name for name in (STALL, DIE) if name in prompt), None)


def install(job: dict[str, Any]) -> None:
    chosen = marker(job)
    if chosen is None:
        return
    uploads = 0
    lock = threading.Lock()

    def on_audit(event: str, args: tuple[Any, ...]) -> None:
        nonlocal uploads
        # http.client raises this for every write; a request's first write starts with its method.
        if event != "http.client.send":
            return
        data = args[1]
        if not isinstance(data, (bytes, bytearray, memoryview)) or bytes(data[:4]) != b"PUT ":
            return
        with lock:
            uploads += 1
            if uploads < 2:
                return
        print(f"runner test hook: {chosen} at upload {uploads}", file=sys.stderr, flush=True)
        if chosen == DIE:
            os.kill(os.getpid(), signal.SIGKILL)
        threading.Event().wait()

    sys.addaudithook(on_audit)
