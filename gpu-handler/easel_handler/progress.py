"""Progress, throttled, to the Worker (signed webhook) and to RunPod (the SDK's progress_update)."""
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from .errors import JobFailed, WebhookUndelivered
from .events import progress_event
from .retry import RetryPolicy
from .webhooks import WebhookClient

log = logging.getLogger(__name__)

# A lost progress update is replaced by the next one, so it is not worth holding the GPU for.
PROGRESS_RETRY = RetryPolicy(attempts=2, base_delay=0.2, max_delay=0.2)


def runpod_progress(job: dict[str, Any]) -> Callable[[dict[str, Any]], None] | None:
    """The SDK's progress_update for this job, or None off RunPod (no job API to reach)."""
    if not os.environ.get("RUNPOD_WEBHOOK_POST_OUTPUT") or "id" not in job:
        return None
    from runpod.serverless import progress_update

    return lambda payload: progress_update(job, payload)


class ProgressReporter:
    def __init__(
        self,
        job_id: str,
        webhooks: WebhookClient,
        interval: float,
        runpod_update: Callable[[dict[str, Any]], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.job_id, self.webhooks, self.interval = job_id, webhooks, interval
        self.runpod_update, self.clock = runpod_update, clock
        self.last_progress, self.last_time = -1.0, float("-inf")

    def report(self, percent: float, message: str | None = None) -> None:
        """Sends at most one update per interval, and never a smaller number than the last one sent."""
        percent = round(min(100.0, max(0.0, percent)), 1)
        now = self.clock()
        if percent <= self.last_progress or now - self.last_time < self.interval:
            return
        self.last_progress, self.last_time = percent, now
        try:
            self.webhooks.send(progress_event(self.job_id, percent, message), policy=PROGRESS_RETRY)
        except (WebhookUndelivered, JobFailed) as error:
            log.warning("progress %.1f%% not delivered: %s", percent, error)
        if self.runpod_update:
            try:
                self.runpod_update({"progress": percent, "message": message or ""})
            except Exception as error:  # the SDK's own transport; never worth failing a job over
                log.warning("RunPod progress_update failed: %s", error)
