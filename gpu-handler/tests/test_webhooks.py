"""Signed with Standard Webhooks, retried on 5xx and dropped connections with the same id, never on 4xx; the Worker's
answer read; progress sent off the caller's thread."""
import base64
import threading
import time
from datetime import datetime, timezone

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from easel_handler.errors import WebhookRejected, WebhookUndelivered
from easel_handler.events import failed_event, progress_event
from easel_handler.progress import ProgressReporter
from easel_handler.webhooks import Acknowledgement, WebhookClient
from tests.conftest import SECRET, fast_patience
from tests.support.scripted_http import DROP, ScriptedServer


@pytest.fixture
def client(receiver):
    with requests.Session() as session:
        yield WebhookClient(f"{receiver.url}/hook", SECRET, session, fast_patience(budget=0.3))


def test_signature_verifies_with_the_spec_implementation(client, receiver):
    client.send(failed_event("job_1", "boom"))
    (request,) = receiver.requests
    assert request.headers["content-type"] == "application/json"
    assert Webhook(SECRET).verify(request.body, request.headers) == {"type": "failed", "job_id": "job_1", "error": "boom"}


def test_signing_matches_the_standard_webhooks_example():
    # The example of the Standard Webhooks specification (svix's reference vector).
    signer = Webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    stamp = datetime.fromtimestamp(1614265330, tz=timezone.utc)
    assert signer.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", stamp, '{"test": 2432232314}') == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_5xx_and_dropped_connections_are_retried_with_the_same_webhook_id(client, receiver):
    receiver.fail_next(500, DROP)
    client.send(progress_event("job_1", 10))
    assert len(receiver.requests) == 3
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert receiver.requests[0].headers["webhook-id"].startswith("msg_")
    for request in receiver.requests:
        Webhook(SECRET).verify(request.body, request.headers)


def test_each_webhook_has_its_own_id(client, receiver):
    client.send(progress_event("job_1", 10))
    client.send(progress_event("job_1", 20))
    assert receiver.requests[0].headers["webhook-id"] != receiver.requests[1].headers["webhook-id"]


def test_4xx_is_not_retried_and_says_what_the_worker_said():
    refuse = lambda r: (422, {"content-type": "application/json"},  # noqa: E731
                        b'{"error":{"code":"bad_image","message":"image 0 is not in the bucket"}}')
    with ScriptedServer(refuse) as worker, requests.Session() as session:
        with pytest.raises(WebhookRejected) as refused:
            WebhookClient(f"{worker.url}/hook?token=t0ps3cret", SECRET, session, fast_patience()).send(
                progress_event("job_1", 10))
    assert str(refused.value) == ("the Worker refused the progress webhook with "
                                  "HTTP 422 (bad_image: image 0 is not in the bucket)")
    assert len(worker.requests) == 1


def test_gives_up_when_its_retry_budget_runs_out(client, receiver):
    receiver.fail_next(*[503] * 1000)
    with pytest.raises(WebhookUndelivered) as lost:
        client.send(progress_event("job_1", 10))
    assert "progress webhook: gave up after" in str(lost.value)
    assert "its retry budget of 0.3 s ran out (last: HTTP 503 (SlowDown: injected by the test))" in str(lost.value)
    assert len(receiver.requests) >= 2


def test_a_body_outside_the_contract_is_never_sent(client, receiver):
    with pytest.raises(ValueError):
        client.send({"type": "image", "job_id": "job_1", "image": {"data": base64.b64encode(b"x").decode()}})
    assert receiver.requests == []


def test_the_worker_s_acknowledgement_is_read():
    answer = lambda r: (200, {"content-type": "application/json"},  # noqa: E731
                        b'{"result":"ignored","status":"canceled","detail":"the client canceled it"}')
    with ScriptedServer(answer) as worker, requests.Session() as session:
        ack = WebhookClient(f"{worker.url}/hook", SECRET, session, fast_patience()).send(progress_event("job_1", 10))
    assert ack == Acknowledgement("ignored", "canceled", "the client canceled it") and ack.job_over
    assert not Acknowledgement("applied", "running").job_over and not Acknowledgement("applied", "completed").job_over


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def wait_for(condition, seconds=5.0):
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.005)


def test_progress_is_throttled_and_never_goes_back():
    clock, sent, runpod_updates = FakeClock(), [], []
    reporter = ProgressReporter(lambda p, m: sent.append(p), interval=0.25, runpod_update=runpod_updates.append,
                                clock=clock)
    reporter.start()

    def report(at, percent, message=None):
        clock.now = at
        before = reporter.last_progress
        reporter.report(percent, message)
        if reporter.last_progress != before:  # kept: let the sender post it before the next one can overtake it
            wait_for(lambda: len(runpod_updates) == len(sent) and reporter.last_progress in sent)

    for step in range(20):  # 20 updates in 0.38 s of the fake clock
        report(step * 0.02, step * 5)
    report(1.0, 30)  # lower than the last one kept
    report(2.0, 99.99, "sampling")
    reporter.close()
    assert sent == [0, 65, 100]
    assert runpod_updates == [{"progress": p, "message": m} for p, m in ((0, ""), (65, ""), (100, "sampling"))]


def test_a_slow_worker_never_holds_up_report():
    release, sent = threading.Event(), []

    def slow_send(percent, message):
        sent.append(percent)
        release.wait(5)

    reporter = ProgressReporter(slow_send, interval=0)
    reporter.start()
    reporter.report(10)
    wait_for(lambda: sent == [10])
    for percent in (20, 30, 40):  # the sender is stuck on 10: these return at once, and only the newest is kept
        reporter.report(percent)
    release.set()
    wait_for(lambda: len(sent) == 2)
    reporter.close()
    assert sent == [10, 40]


def test_a_lost_progress_update_does_not_stop_the_reporter():
    def lossy(percent, message):
        if percent == 10:
            raise WebhookUndelivered("progress webhook: gave up")
        delivered.append(percent)

    delivered = []
    reporter = ProgressReporter(lossy, interval=0)
    reporter.start()
    reporter.report(10)
    reporter.report(20)
    wait_for(lambda: delivered == [20])
    reporter.close()
