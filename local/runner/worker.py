"""A warm handler process, as on a RunPod worker: imports the handler once, then runs jobs one after another.

Started by the runner's WorkerSlot as `python worker.py HANDLER_PATH`. The protocol is one line
of JSON per message: a job `{"id", "input"}` on stdin, its result on stdout. The result follows
runpod-python's `run_job`: `output`; `error` from a dict output's `error` key or from an
exception; `stopPod` when the output asked for `refresh_worker`. Whatever the handler prints goes
to stderr, so stdout carries results only. The process ends when stdin closes.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import failure_hooks

Job = dict[str, Any]
Result = dict[str, Any]


def load_handler(handler_path: Path) -> Callable[[Job], Any]:
    sys.path.insert(0, str(handler_path.parent))
    spec = importlib.util.spec_from_file_location("easel_gpu_handler", handler_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load a module from {handler_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def error_result(err: BaseException) -> Result:
    """A handler exception, reported with the fields RunPod reports it with."""
    return {
        "error": json.dumps(
            {
                "error_type": str(type(err)),
                "error_message": str(err),
                "error_traceback": "".join(traceback.format_exception(err)),
                "hostname": socket.gethostname(),
                "worker_id": os.environ.get("RUNPOD_POD_ID", "local"),
            }
        )
    }


def run(handler: Callable[[Job], Any], job: Job) -> Result:
    try:
        output = handler(job)
    except Exception as err:  # noqa: BLE001 - reported the way RunPod reports a handler exception
        return error_result(err)
    if not isinstance(output, dict):
        return {"output": output}
    error = output.pop("error", None)
    refresh_worker = output.pop("refresh_worker", None)
    result: Result = {"output": output} if output else {}
    if error:
        result["error"] = error
    if refresh_worker:
        result["stopPod"] = True
    return result


def job_runner(handler_path: Path) -> Callable[[Job], Result]:
    """Runs each job with the handler; if the handler cannot be imported, each job fails with why, as it would in a fresh process."""
    try:
        handler = load_handler(handler_path)
    except Exception as err:  # noqa: BLE001 - reported as each job's failure
        failure = error_result(err)
        print(f"runner: the handler at {handler_path} could not be imported: {err}", file=sys.stderr, flush=True)
        return lambda job: failure
    return lambda job: run(handler, job)


def main() -> None:
    handler_path = Path(sys.argv[1])
    results = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    running: list[Job] = []
    failure_hooks.install(lambda: running[0] if running else None)
    run_job = job_runner(handler_path)
    for line in sys.stdin:
        job: Job = json.loads(line)
        running.append(job)
        result = run_job(job)
        running.clear()
        results.write(json.dumps(result) + "\n")
        results.flush()


if __name__ == "__main__":
    main()
