"""Progress, throttled, sent from its own thread (to the Worker and to RunPod) so it never holds up generation."""
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from .errors import JobFailed, WebhookUndelivered
from .log import get_logger

log = get_logger(__name__)


def runpod_progress(job: dict[str, Any]) -> Callable[[dict[str, Any]], None] | None:
    """The SDK's progress_update for this job, or None off RunPod (no job API to reach)."""
    if not os.environ.get("RUNPOD_WEBHOOK_POST_OUTPUT") or "id" not in job:
        return None
    from runpod.serverless import progress_update

    return lambda payload: progress_update(job, payload)


class ProgressReporter:
    """report() only records the newest figure; a sender thread posts it. A figure overtaken before it went is dropped:
    the next one says more."""

    def __init__(self, send: Callable[[float, str | None], None], interval: float,
                 runpod_update: Callable[[dict[str, Any]], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.send, self.interval, self.runpod_update, self.clock = send, interval, runpod_update, clock
        self.last_progress, self.last_time = -1.0, float("-inf")
        self.pending: tuple[float, str | None] | None = None
        self.closed = False
        self.wake = threading.Condition()
        self.thread = threading.Thread(target=self._send_loop, name="easel-progress", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def report(self, percent: float, message: str | None = None) -> None:
        """Keeps at most one update per interval, and never a smaller number than the last one kept."""
        percent = round(min(100.0, max(0.0, percent)), 1)
        now = self.clock()
        with self.wake:
            if self.closed or percent <= self.last_progress or now - self.last_time < self.interval:
                return
            self.last_progress, self.last_time = percent, now
            self.pending = (percent, message)
            self.wake.notify()

    def close(self, wait: float = 5.0) -> None:
        with self.wake:
            self.closed = True
            self.wake.notify()
        if self.thread.is_alive():
            self.thread.join(wait)

    def _send_loop(self) -> None:
        while True:
            with self.wake:
                while self.pending is None and not self.closed:
                    self.wake.wait()
                if self.closed:
                    return
                (percent, message), self.pending = self.pending, None
            try:
                self.send(percent, message)
            except (WebhookUndelivered, JobFailed) as error:
                log.warning("progress %.1f%% not delivered: %s", percent, error)
            if self.runpod_update:
                try:
                    self.runpod_update({"progress": percent, "message": message or ""})
                except Exception as error:  # the SDK's own transport; never worth failing a job over
                    log.warning("RunPod progress_update failed: %s", error)
