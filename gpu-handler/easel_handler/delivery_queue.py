"""Delivery off the generation path: a bounded queue of finished images served by one delivery thread."""
import queue
import threading
from collections.abc import Callable

from .errors import JobFailed
from .log import get_logger
from .stop import JobStop

log = get_logger(__name__)

Load = Callable[[], bytes]
_DONE = object()


class DeliveryQueue:
    """submit() hands an image over and returns at once (or waits for room when `size` images are already waiting);
    deliver(position, load) runs on the delivery thread. The first delivery that fails stops the job with its reason;
    finish() waits for the last delivery."""

    def __init__(self, deliver: Callable[[int, Load], None], stop: JobStop, size: int):
        self.deliver, self.stop = deliver, stop
        self.items: queue.Queue = queue.Queue(maxsize=max(1, size))
        self.thread = threading.Thread(target=self._serve, name="easel-delivery", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def submit(self, position: int, load: Load) -> None:
        self._put((position, load))

    def finish(self) -> None:
        """Returns once every submitted image is delivered; raises JobStopped when the job stopped first."""
        self._put(_DONE)
        while self.thread.is_alive() and not self.stop.stopped:
            self.thread.join(0.1)
        self.stop.check()

    def abandon(self, wait: float) -> None:
        """After the job stopped: gives the delivery thread a moment to notice, without waiting on a stuck request."""
        if self.thread.is_alive():
            self.thread.join(wait)

    def _put(self, item: object) -> None:
        while True:
            self.stop.check()
            try:
                self.items.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _serve(self) -> None:
        while True:
            item = self.items.get()
            if item is _DONE or self.stop.stopped:
                return
            position, load = item
            try:
                self.deliver(position, load)
            except JobFailed as error:
                self.stop.stop(str(error))
                return
            except Exception as error:  # a bug in delivery still ends the job with a reason
                log.exception("delivery of image %d failed unexpectedly", position)
                self.stop.stop(f"internal error in the handler while delivering image {position}: "
                               f"{type(error).__name__}: {error}")
                return
