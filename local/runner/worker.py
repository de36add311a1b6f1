"""One RunPod worker running one job: imports the handler, calls `handler(job)`, writes the result.

Run by the runner as a child process (`python worker.py HANDLER_PATH RESULT_PATH`, the job as
JSON on stdin), so that cancelling or killing a job kills only its worker. The result follows
runpod-python's `run_job`: a dict output's `error` key, or an exception, makes the job FAILED.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
import traceback
from pathlib import Path
from typing import Any

import failure_hooks


def load_handler(handler_path: Path):
    sys.path.insert(0, str(handler_path.parent))
    spec = importlib.util.spec_from_file_location("easel_gpu_handler", handler_path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load a module from {handler_path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


def run(handler_path: Path, job: dict[str, Any]) -> dict[str, Any]:
    try:
        output = load_handler(handler_path)(job)
        if isinstance(output, dict):
            error = output.pop("error", None)
            output.pop("refresh_worker", None)
            result: dict[str, Any] = {"output": output} if output else {}
            if error:
                result["error"] = error
            return result
        return {"output": output}
    except Exception as err:  # noqa: BLE001 - reported the way RunPod reports a handler exception
        return {
            "error": json.dumps(
                {
                    "error_type": str(type(err)),
                    "error_message": str(err),
                    "error_traceback": traceback.format_exc(),
                    "hostname": socket.gethostname(),
                    "worker_id": os.environ.get("RUNPOD_POD_ID", "local"),
                }
            )
        }


def main() -> None:
    handler_path, result_path = Path(sys.argv[1]), Path(sys.argv[2])
    job = json.load(sys.stdin)
    failure_hooks.install(job)
    result = run(handler_path, job)
    result_path.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
