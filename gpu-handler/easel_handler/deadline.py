"""The job's deadline (`deadline_at`, less a margin): every wait and retry of the handler ends before it."""
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Deadline:
    at: float  # on `clock`; math.inf when the input named no deadline
    label: str = "no deadline"
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def none(cls) -> "Deadline":
        return cls(math.inf)

    @classmethod
    def from_input(cls, deadline_at: str | None, margin: float, *, clock: Callable[[], float] = time.monotonic,
                   now: Callable[[], float] = time.time) -> "Deadline":
        """deadline_at is when the Worker ends the job whatever happens; the handler stops `margin` seconds before, to
        report why, but never gives up more than a tenth of the time the job has (a 30 s job keeps 27 s of work)."""
        if not deadline_at:
            return cls.none()
        left = datetime.fromisoformat(deadline_at.replace("Z", "+00:00")).timestamp() - now()
        margin = min(margin, max(0.0, left) / 10)
        return cls(clock() + left - margin, f"the job's deadline ({deadline_at}, less {margin:.3g} s to report)", clock)

    def remaining(self) -> float:
        return self.at - self.clock()
