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
        """deadline_at is when the Worker ends the job whatever happens; the handler stops `margin` seconds before,
        to report why."""
        if not deadline_at:
            return cls.none()
        wall = datetime.fromisoformat(deadline_at.replace("Z", "+00:00")).timestamp()
        return cls(clock() + (wall - now()) - margin, f"the job's deadline ({deadline_at}, less {margin:g} s to report)",
                   clock)

    def remaining(self) -> float:
        return self.at - self.clock()
