"""Every body the handler builds is one the contract accepts."""
import pytest

from easel_handler import contract
from easel_handler.events import completed_event, failed_event, image_event, progress_event

IMAGE = {"index": 0, "key": "jobs/own_x/job_1/0.png", "size": 1234, "content_type": "image/png",
         "width": 96, "height": 64, "sha256": "a" * 64}


@pytest.mark.parametrize("body", [
    progress_event("job_1", 0),
    progress_event("job_1", 42.42, "sampling 3/20"),
    progress_event("job_1", 250, "x" * 500),
    image_event("job_1", IMAGE, 2),
    completed_event("job_1", [IMAGE, {**IMAGE, "index": 1, "key": "jobs/own_x/job_1/1.png"}]),
    failed_event("job_1", "ComfyUI failed in node 3 (KSampler): out of memory"),
    failed_event("job_1", "e" * 5000),
    failed_event("job_1", ""),
    {**image_event("job_1", IMAGE, 1), "runpod_job_id": "1d2f3a4b-e1-local"},
], ids=["progress", "progress-message", "progress-clamped", "image", "completed", "failed", "failed-long", "failed-empty",
        "runpod-job-id"])
def test_webhook_bodies_validate(body):
    assert contract.issues("webhook-event", body) == []


def test_progress_is_clamped_and_rounded():
    assert progress_event("j", 250)["progress"] == 100
    assert progress_event("j", 12.345)["progress"] == 12.3


def test_check_refuses_a_body_that_breaks_the_contract():
    with pytest.raises(ValueError, match="image.sha256"):
        contract.check("webhook-event", image_event("job_1", {**IMAGE, "sha256": "nope"}, 1))
