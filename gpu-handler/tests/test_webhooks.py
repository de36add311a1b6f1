"""Signed with Standard Webhooks, retried on 5xx and dropped connections with the same id, never on 4xx."""
import base64
from datetime import datetime, timezone

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from easel_handler.errors import WebhookRejected, WebhookUndelivered
from easel_handler.events import failed_event, progress_event
from easel_handler.progress import ProgressReporter
from easel_handler.retry import RetryPolicy
from easel_handler.webhooks import WebhookClient
from tests.conftest import SECRET
from tests.support.scripted_http import DROP

FAST = RetryPolicy(attempts=3, base_delay=0.01)


@pytest.fixture
def client(receiver):
    with requests.Session() as session:
        yield WebhookClient(f"{receiver.url}/hook", SECRET, session, FAST, timeout=5)


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


def test_4xx_is_not_retried(client, receiver):
    receiver.fail_next(400)
    with pytest.raises(WebhookRejected, match="HTTP 400"):
        client.send(progress_event("job_1", 10))
    assert len(receiver.requests) == 1


def test_gives_up_after_the_policy_s_attempts(client, receiver):
    receiver.fail_next(503, 503, 503)
    with pytest.raises(WebhookUndelivered, match="gave up after 3 attempts"):
        client.send(progress_event("job_1", 10))
    assert len(receiver.requests) == 3


def test_a_body_outside_the_contract_is_never_sent(client, receiver):
    with pytest.raises(ValueError):
        client.send({"type": "image", "job_id": "job_1", "image": {"data": base64.b64encode(b"x").decode()}})
    assert receiver.requests == []


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_is_throttled_and_never_goes_back(client, receiver):
    clock = FakeClock()
    runpod_updates = []
    reporter = ProgressReporter("job_1", client, interval=0.25, runpod_update=runpod_updates.append, clock=clock)
    for step in range(20):  # 20 updates in 0.38 s
        clock.now = step * 0.02
        reporter.report(step * 5)
    clock.now = 1.0
    reporter.report(30)  # lower than the last one sent
    clock.now = 2.0
    reporter.report(99.99, "sampling")
    sent = [r.json()["progress"] for r in receiver.requests]
    assert sent == [0, 65, 100]
    assert runpod_updates == [{"progress": p, "message": m} for p, m in ((0, ""), (65, ""), (100, "sampling"))]


def test_a_lost_progress_update_does_not_stop_the_job(client, receiver):
    receiver.fail_next(500, 500, 500)
    reporter = ProgressReporter("job_1", client, interval=0)
    reporter.report(10)
    reporter.report(20)
    assert [r.json()["progress"] for r in receiver.requests][-1] == 20
