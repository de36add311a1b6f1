"""Retrying an HTTP call on 5xx, 408, 429 and connection errors, never on other 4xx, for as long as the job allows."""
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from .deadline import Deadline
from .failure_text import describe_request_error, describe_response
from .stop import JobStop

TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def transient(status: int) -> bool:
    return status >= 500 or status in (408, 429)


class GaveUp(Exception):
    """The budget or the deadline ran out; the message says how many attempts and what the last one got."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long one upload, webhook or fetch keeps trying: `budget` seconds, never past the job's deadline."""
    budget: float = 300.0
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int) -> float:
        # Jitter keeps many workers that failed together from retrying together.
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Patience:
    """A retry policy bound to one job: its stop signal (a cancel wakes any backoff) and its deadline."""
    policy: RetryPolicy
    stop: JobStop
    deadline: Deadline
    timeout: float  # seconds for one attempt


def send_with_retries(send: Callable[[float], requests.Response], patience: Patience, what: str) -> requests.Response:
    """Calls send(timeout) until it answers with a status worth keeping; returns that response or raises GaveUp.

    JobStopped comes out instead when the job stops while it waits.
    """
    policy, stop, deadline = patience.policy, patience.stop, patience.deadline
    start, attempts = time.monotonic(), 0
    last = "no attempt"
    while True:
        stop.check()
        attempts += 1
        left = _time_left(policy, start, deadline)
        try:
            response = send(max(0.5, min(patience.timeout, left)))
        except TRANSIENT_ERRORS as error:
            last = describe_request_error(error)
        else:
            if not transient(response.status_code):
                return response
            last = describe_response(response)
            response.close()
        delay, left = policy.delay(attempts), _time_left(policy, start, deadline)
        if delay >= left:
            limit = "the job's deadline is near" if deadline.remaining() <= left + 1e-9 else \
                f"its retry budget of {policy.budget:g} s ran out"
            raise GaveUp(f"{what}: gave up after {attempts} attempt{'s' if attempts > 1 else ''} over "
                         f"{time.monotonic() - start:.0f} s, {limit} (last: {last})")
        if stop.wait(delay):
            stop.check()


def _time_left(policy: RetryPolicy, start: float, deadline: Deadline) -> float:
    return min(policy.budget - (time.monotonic() - start), deadline.remaining())
