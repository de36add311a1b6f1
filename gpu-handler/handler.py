"""Easel's RunPod serverless worker: contract-v1 jobs in, images in the bucket, signed webhooks out."""
import sys
from pathlib import Path

# Runners that load this file by path (the local RunPod stand-in) have not put its folder on sys.path.
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import runpod  # noqa: E402

from easel_handler.job_runner import handle  # noqa: E402
from easel_handler.runpod_entry import run_cancellable  # noqa: E402


def handler(job: dict) -> dict:
    """RunPod's job dict in; {"images": [...]} or {"error": "..."} out. The engine comes from EASEL_ENGINE."""
    return handle(job)


async def cancellable_handler(job: dict) -> dict:
    """What the SDK runs: the same job, stopped (ComfyUI interrupted) when RunPod cancels it."""
    return await run_cancellable(job)


if __name__ == "__main__":
    runpod.serverless.start({"handler": cancellable_handler})
