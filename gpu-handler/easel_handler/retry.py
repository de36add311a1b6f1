"""Retrying an HTTP call on 5xx and connection errors, never on 4xx."""
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class GaveUp(Exception):
    def __init__(self, message: str, last_status: int | None):
        super().__init__(message)
        self.last_status = last_status


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def delay(self, attempt: int) -> float:
        # Jitter keeps many workers that failed together from retrying together.
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


def send_with_retries(send: Callable[[], requests.Response], policy: RetryPolicy, what: str) -> requests.Response:
    """Calls send() until it answers below 500; returns that response (2xx or 4xx) or raises GaveUp."""
    last, last_status = "no attempt", None
    for attempt in range(1, max(1, policy.attempts) + 1):
        try:
            response = send()
        except TRANSIENT_ERRORS as error:
            last, last_status = f"{type(error).__name__}: {error}", None
        else:
            if response.status_code < 500:
                return response
            last, last_status = f"HTTP {response.status_code}", response.status_code
            response.close()
        if attempt < policy.attempts:
            policy.sleep(policy.delay(attempt))
    raise GaveUp(f"{what}: gave up after {policy.attempts} attempts (last: {last})", last_status)
