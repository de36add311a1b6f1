"""The handler as the runpod SDK runs it: a cancel or the worker's shutdown reaches the running job.

runpod 1.12 stops a job by cancelling the asyncio task that awaits the handler (rp_scale.JobScaler.stop_job, fed by
its job-stop channel); a plain function handler blocks the event loop, so that cancel would land only after it
returned. Here the job runs in a thread and the cancel stops it. SIGTERM (the worker being stopped) only makes the
SDK drain its jobs; it stops the running job too, so the Worker hears why at once."""
import asyncio
import os
import signal
from collections.abc import Callable
from typing import Any

from .job_runner import handle
from .log import get_logger
from .stop import JobStop

log = get_logger(__name__)

CANCEL_GRACE = 20.0  # seconds a cancelled job gets to interrupt ComfyUI and say why before the task ends
_running: set[JobStop] = set()


async def run_cancellable(job: dict[str, Any], run: Callable[..., dict[str, Any]] = handle) -> dict[str, Any]:
    _chain_sigterm()
    stop = JobStop()
    _running.add(stop)
    work = asyncio.ensure_future(asyncio.to_thread(run, job, stop=stop))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        stop.stop("RunPod cancelled the job")
        log.warning("job %s: RunPod cancelled it; stopping the engine", job.get("id"))
        try:
            await asyncio.wait_for(asyncio.shield(work), CANCEL_GRACE)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            log.error("job %s: still running %g s after RunPod's cancel", job.get("id"), CANCEL_GRACE)
        raise
    finally:
        _running.discard(stop)


def _chain_sigterm() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    if getattr(previous, "easel_chained", False):
        return

    def on_sigterm(signum: int, frame: Any) -> None:
        for stop in list(_running):
            stop.stop("the RunPod worker is shutting down (SIGTERM)")
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    on_sigterm.easel_chained = True  # type: ignore[attr-defined]
    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread: the SDK's own handling stays as it is
        log.warning("SIGTERM not chained: the handler does not run in the main thread")
