"""The job's deadline, from the input's deadline_at: the handler stops a margin before it, never most of the job."""
from datetime import datetime, timedelta, timezone

import pytest

from easel_handler.deadline import Deadline

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)


def deadline(seconds_away: float, margin: float = 30) -> Deadline:
    at = (NOW + timedelta(seconds=seconds_away)).isoformat().replace("+00:00", "Z")
    return Deadline.from_input(at, margin, clock=lambda: 1000.0, now=NOW.timestamp)


def test_a_long_job_stops_its_margin_before_the_worker_s_deadline():
    assert deadline(900).remaining() == pytest.approx(870)
    assert deadline(900).label == "the job's deadline (2026-11-30T12:15:00Z, less 30 s to report)"


def test_a_short_job_gives_up_at_most_a_tenth_of_its_time():
    # A 30 s job with a 30 s margin would stop before it started; it keeps 27 s.
    assert deadline(30).remaining() == pytest.approx(27)


def test_a_deadline_already_past_leaves_nothing():
    assert deadline(-5).remaining() == pytest.approx(-5)


def test_no_deadline_at_means_no_deadline():
    assert Deadline.from_input(None, 30).remaining() == float("inf")
