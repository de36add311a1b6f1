"""A whole job: real images into the bucket, signed contract webhooks out, clean failures."""
import dataclasses
import logging
import hashlib

import pytest
from standardwebhooks.webhooks import Webhook

from easel_handler import contract
from easel_handler.job_runner import handle
from tests.conftest import SECRET, events, kinds, png
from easel_handler.retry import RetryPolicy
from tests.support.comfy import ComfyStandIn
from tests.support.scripted_http import ScriptedServer


def run(payload, settings, **kwargs):
    return handle({"id": "runpod-1", "input": payload}, settings, **kwargs)


def assert_signed_contract_webhooks(receiver, runpod_job_id="runpod-1"):
    """Every webhook is signed, in the v1 contract's shape, and names RunPod's run."""
    for request in receiver.requests:
        body = Webhook(SECRET).verify(request.body, request.headers)
        assert contract.issues("webhook-event", body) == [], body
        assert body["runpod_job_id"] == runpod_job_id


def test_text_to_image_delivers_each_image_then_completes(s3, receiver, make_input, settings):
    payload = make_input(num_images=2)
    result = run(payload, settings)
    assert contract.issues("handler-result", result) == []
    assert [i["key"] for i in result["images"]] == [o["key"] for o in payload["outputs"]]
    for image in result["images"]:
        stored = s3.get(image["key"]).content
        assert (len(stored), hashlib.sha256(stored).hexdigest()) == (image["size"], image["sha256"])
        assert (image["width"], image["height"], image["content_type"]) == (96, 64, "image/png")
    assert_signed_contract_webhooks(receiver)
    sent = events(receiver)
    assert kinds(receiver)[0] == "progress" and kinds(receiver)[-1] == "completed"
    announced = [e for e in sent if e["type"] == "image"]
    assert [e["image"] for e in announced] == result["images"]
    assert all(e["total_images"] == 2 for e in announced)
    assert sent[-1]["images"] == result["images"]
    assert all(len(r.body) < 2048 for r in receiver.requests if r.json()["type"] == "image")
    progress = [e["progress"] for e in sent if e["type"] == "progress"]
    assert progress == sorted(progress) and len(set(progress)) == len(progress)


def test_style_transfer_reads_its_inputs_from_presigned_gets(s3, receiver, make_input, settings):
    result = run(make_input("style-transfer", num_images=1, strength=0.8), settings)
    assert [i["index"] for i in result["images"]] == [0]
    assert kinds(receiver).count("completed") == 1


def test_network_volume_mode_writes_files_and_speaks_contract_v1(receiver, make_input, settings, tmp_path):
    payload = make_input(num_images=2, volume=tmp_path)
    result = run(payload, settings)
    for image in result["images"]:
        assert (tmp_path / image["key"]).read_bytes() == s3_free_bytes(tmp_path, image)
    assert_signed_contract_webhooks(receiver)
    sent = events(receiver)
    assert [e["image"]["key"] for e in sent if e["type"] == "image"] == [o["key"] for o in payload["outputs"]]
    assert sent[-1] == {"type": "completed", "job_id": payload["job_id"], "runpod_job_id": "runpod-1",
                        "images": result["images"]}


def s3_free_bytes(volume, image):
    data = (volume / image["key"]).read_bytes()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (image["size"], image["sha256"])
    return data


def assert_failed_cleanly(result, receiver, message):
    assert message in result["error"] and set(result) == {"error"}
    assert "completed" not in kinds(receiver)
    assert kinds(receiver)[-1] == "failed" and kinds(receiver).count("failed") == 1
    assert message in events(receiver)[-1]["error"]
    assert_signed_contract_webhooks(receiver)


@pytest.mark.parametrize("breakage, message", [
    (lambda p: p["params"].pop("prompt"), "params.prompt: 'prompt' is a required property"),
    (lambda p: p["params"].update(steps="20"), "params.steps: '20' is not of type 'integer'"),
    (lambda p: p.update(type="upscale"), "type: 'upscale' is not one of"),
    (lambda p: p.update(contract=2), "contract version 2 is not supported"),
    (lambda p: p["outputs"].pop(), "1 outputs for params.num_images 2"),
], ids=["missing-field", "malformed-field", "unknown-type", "unknown-contract", "outputs-mismatch"])
def test_bad_input_ends_with_an_error_and_a_failed_webhook(receiver, make_input, settings, breakage, message):
    payload = make_input()
    breakage(payload)
    result = run(payload, settings)
    assert_failed_cleanly(result, receiver, message)
    assert kinds(receiver) == ["failed"]


def test_bad_input_without_a_usable_callback_still_returns_the_error(receiver, make_input, settings):
    payload = make_input()
    payload["callback"]["secret"] = "plain"
    assert "callback.secret" in run(payload, settings)["error"]
    assert receiver.requests == []


def test_an_input_image_that_cannot_be_fetched_fails_the_job(s3, receiver, make_input, settings):
    payload = make_input("style-transfer", num_images=1)
    payload["inputs"]["content_image_url"] = s3.presign("GET", "uploads/own_test/gone.png")
    assert_failed_cleanly(run(payload, settings), receiver, "fetching inputs.content_image_url: the store answered HTTP 404 (NoSuchKey: The specified key does not exist.)")
    assert "image" not in kinds(receiver)


def test_an_upload_refused_is_never_announced(s3, receiver, make_input, settings):
    payload = make_input(num_images=2)
    key = payload["outputs"][1]["key"]
    payload["outputs"][1]["upload_url"] = s3.presign("PUT", key, content_type="image/png", secret="wrong")
    result = run(payload, settings)
    assert_failed_cleanly(result, receiver, "upload of image 1 to the bucket: the store refused it with HTTP 403 (SignatureDoesNotMatch")
    assert [e["image"]["index"] for e in events(receiver) if e["type"] == "image"] == [0]
    assert s3.get(key).status_code == 404


def test_an_upload_that_hits_a_500_is_retried_and_the_job_completes(s3, s3_proxy, receiver, make_input, settings):
    s3_proxy.fail_next(500)
    result = run(make_input(num_images=1, endpoint=s3_proxy.url), settings)
    assert "error" not in result and len(s3_proxy.requests) == 2
    assert kinds(receiver)[-1] == "completed"


def test_a_refused_image_webhook_fails_the_job(receiver, make_input, settings):
    settings = dataclasses.replace(settings, progress_interval=3600)  # one progress webhook, then the image
    receiver.fail_next(None, 422)
    result = run(make_input(num_images=1), settings)
    assert "the Worker refused the image webhook with HTTP 422" in result["error"]
    assert kinds(receiver) == ["progress", "image", "failed"]


def test_an_image_webhook_lost_to_5xx_is_carried_by_the_completion(make_input, settings):
    def refuse_images(request):
        return (503, {}, b"") if request.json()["type"] == "image" else (202, {"content-type": "application/json"}, b"{}")

    with ScriptedServer(refuse_images) as receiver:
        payload = make_input(num_images=1)
        payload["callback"]["url"] = f"{receiver.url}/api/webhooks/generation/{payload['job_id']}"
        result = run(payload, dataclasses.replace(settings, retry=RetryPolicy(budget=0.3, base_delay=0.02, max_delay=0.05)))
    assert "error" not in result
    sent = kinds(receiver)
    assert sent[-1] == "completed" and sent.count("image") >= 2 and set(sent[:-1]) <= {"progress", "image"}
    assert events(receiver)[-1]["images"] == result["images"]


class FewerImages:
    name, needs_refresh = "fewer", False

    def generate(self, request, sink, stop):
        sink.image(0, png)

    def clean_up(self, request):
        pass


class Broken(FewerImages):
    def generate(self, request, sink, stop):
        raise RuntimeError("disk on fire")


def test_an_engine_that_makes_too_few_images_fails(receiver, make_input, settings):
    assert_failed_cleanly(run(make_input(num_images=2), settings, engine=FewerImages()), receiver,
                          "the engine finished with 1 of 2 images (missing [1])")


def test_an_unexpected_exception_still_ends_with_a_failed_webhook(receiver, make_input, settings):
    assert_failed_cleanly(run(make_input(), settings, engine=Broken()), receiver,
                          "internal error in the handler: RuntimeError: disk on fire")


def test_an_unknown_engine_is_reported(receiver, make_input, settings):
    result = run(make_input(), dataclasses.replace(settings, engine="dalle"))
    assert_failed_cleanly(result, receiver, "EASEL_ENGINE='dalle' is not an engine")


def test_a_workflow_comfyui_rejects_fails_the_job(receiver, make_input, settings):
    with ComfyStandIn(checkpoints=("other.safetensors",)) as comfy:
        result = run(make_input(), dataclasses.replace(settings, engine="comfyui", comfy_host=comfy.host))
    assert_failed_cleanly(result, receiver, "ComfyUI rejected the workflow: Prompt outputs failed validation")
    assert "image" not in kinds(receiver)


def test_a_comfyui_job_delivers_like_the_cpu_one(s3, receiver, make_input, settings):
    with ComfyStandIn() as comfy:
        result = run(make_input(num_images=2), dataclasses.replace(settings, engine="comfyui", comfy_host=comfy.host,
                                                                   comfy_dir=comfy.base_dir))
        assert comfy.files("output") == []  # cleaned up once every image was delivered
    assert [s3.get(i["key"]).status_code for i in result["images"]] == [200, 200]
    assert [k for k in kinds(receiver) if k != "progress"] == ["image", "image", "completed"]
    assert_signed_contract_webhooks(receiver)


def test_a_broken_environment_is_an_error_result_not_an_exception(monkeypatch, receiver, make_input):
    monkeypatch.setenv("EASEL_HTTP_TIMEOUT", "soon")
    result = handle({"id": "r", "input": make_input()})
    assert result["error"].startswith("internal error in the handler: ValueError")
    assert kinds(receiver) == ["failed"]


def test_a_job_without_input_is_refused():
    assert handle({"id": "r"}) == {"error": "input must be a JSON object (contract v1)"}


def test_network_volume_style_transfer_reads_its_inputs_from_where_the_volume_is_mounted(receiver, make_input, settings,
                                                                                        tmp_path):
    payload = make_input("style-transfer", num_images=1, volume=tmp_path)
    payload["network_volume"]["mount_path"] = "/runpod-volume"  # as the Worker announces it; mounted here at tmp_path
    payload["inputs"] = {"style_image_path": "/runpod-volume/uploads/own_test/style.png",
                         "content_image_path": "/runpod-volume/uploads/own_test/content.png"}
    (tmp_path / "uploads" / "own_test").mkdir(parents=True)
    (tmp_path / "uploads" / "own_test" / "style.png").write_bytes(png(40, 40, (20, 40, 220)))
    (tmp_path / "uploads" / "own_test" / "content.png").write_bytes(png(40, 40, (220, 200, 30)))
    result = run(payload, dataclasses.replace(settings, volume_mount=tmp_path))
    (image,) = result["images"]
    assert (tmp_path / image["key"]).stat().st_size == image["size"]
    assert events(receiver)[-1]["type"] == "completed"


def test_a_missing_input_on_the_volume_fails_the_job_naming_it(receiver, make_input, settings, tmp_path):
    payload = make_input("style-transfer", num_images=1, volume=tmp_path)
    payload["inputs"] = {"style_image_path": f"{tmp_path}/uploads/own_test/style.png",
                         "content_image_path": f"{tmp_path}/uploads/own_test/content.png"}
    assert_failed_cleanly(run(payload, settings), receiver,
                          f"inputs.style_image_path: no such file on the volume ({tmp_path}/uploads/own_test/style.png)")


def test_no_secret_reaches_the_job_s_error_its_events_or_the_logs(receiver, make_input, settings, caplog):
    caplog.set_level(logging.DEBUG)
    payload = make_input(num_images=1)
    payload["callback"]["url"] += "&token=t0k3n-value"
    payload["outputs"][0]["upload_url"] = "http://127.0.0.1:9/bucket/0.png?X-Amz-Credential=AKIA&X-Amz-Signature=5ec7e7"
    result = run(payload, dataclasses.replace(settings, retry=RetryPolicy(budget=0.2, base_delay=0.02, max_delay=0.05)))
    said = [result["error"], *(r.body.decode() for r in receiver.requests), *(r.getMessage() for r in caplog.records)]
    assert caplog.records and result["error"].startswith("upload of image 0 to the bucket: gave up")
    for text in said:
        for secret in ("t0k3n-value", "5ec7e7", "AKIA", SECRET, SECRET.removeprefix("whsec_")):
            assert secret not in text, text
