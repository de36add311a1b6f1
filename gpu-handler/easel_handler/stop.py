"""The job's stop signal: any part (delivery, the deadline, a cancel, the Worker) can end the job, once, with a reason."""
import threading
from collections.abc import Callable

from .errors import JobStopped

WORKER = "worker"  # the Worker itself said the job is over: no failed webhook is owed


class JobStop:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.reason: str | None = None
        self.origin: str | None = None
        self._timer: threading.Timer | None = None

    def stop(self, reason: str, origin: str | None = None) -> bool:
        """Ends the job with reason; the first reason wins. Returns whether this call ended it."""
        with self._lock:
            if self._event.is_set():
                return False
            self.reason, self.origin = reason, origin
            self._event.set()
        return True

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleeps up to seconds, waking as soon as the job stops; returns whether it stopped."""
        return self._event.wait(max(0.0, seconds))

    def check(self) -> None:
        if self._event.is_set():
            raise JobStopped(self.reason or "the job was stopped")

    def stop_after(self, seconds: float, reason: Callable[[], str]) -> None:
        """Arms the deadline: the job stops by itself once seconds have passed (never, for math.inf)."""
        if seconds == float("inf"):
            return
        self._timer = threading.Timer(max(0.0, seconds), lambda: self.stop(reason()))
        self._timer.daemon = True
        self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
