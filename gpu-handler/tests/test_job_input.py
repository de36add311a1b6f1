"""parse_input: contract v1 in, typed input out, or one clear error naming the fields."""
import copy
import json

import pytest

from easel_handler import contract, job_input
from easel_handler.errors import BadInput
from easel_handler.settings import DEFAULT_SCHEMA_DIR

BASE = json.loads((DEFAULT_SCHEMA_DIR.parent / "vectors" / "handler-input.json").read_text())["valid"]


def valid(name="text-to-image, two presigned outputs"):
    return copy.deepcopy(next(v["payload"] for v in BASE if v["name"] == name))


def refusal(payload) -> BadInput:
    with pytest.raises(BadInput) as refused:
        job_input.parse_input(payload)
    return refused.value


def test_parses_outputs_in_index_order_with_defaults():
    payload = valid()
    payload["outputs"].reverse()
    del payload["inputs"]
    del payload["outputs"][0]["headers"]
    job = job_input.parse_input(payload)
    assert [t.index for t in job.targets] == [0, 1]
    assert job.outputs[0].headers == {}
    assert job.style_image_url is None and not job.uses_volume


def test_refuses_an_unknown_contract_version_clearly():
    payload = valid()
    payload["contract"] = 2
    error = refusal(payload)
    assert str(error) == "contract version 2 is not supported: this handler speaks contract 1"


def test_refuses_input_without_a_contract_version():
    payload = valid()
    del payload["contract"]
    assert "input.contract is missing" in str(refusal(payload))


def test_names_every_broken_field():
    payload = valid()
    del payload["params"]["prompt"]
    payload["params"]["width"] = 10
    payload["callback"]["url"] = "not a url"
    error = refusal(payload)
    assert {path for path, _ in error.issues} == {"params.prompt", "params.width", "callback.url"}
    assert str(error).startswith("invalid input: ")


def test_refuses_an_unknown_job_type():
    payload = valid()
    payload["type"] = "upscale"
    assert [path for path, _ in refusal(payload).issues] == ["type"]


def test_refuses_outputs_that_do_not_match_num_images():
    payload = valid()
    payload["params"]["num_images"] = 3
    assert "2 outputs for params.num_images 3" in str(refusal(payload))


def test_refuses_repeated_output_indices():
    payload = valid()
    payload["outputs"][1]["index"] = 0
    assert "output indices repeat" in str(refusal(payload))


def test_refuses_style_transfer_without_its_images():
    payload = valid("style transfer with presigned inputs")
    del payload["inputs"]["style_image_url"]
    assert [path for path, _ in refusal(payload).issues] == ["inputs.style_image_url"]


def test_refuses_an_output_with_nowhere_to_go():
    payload = valid()
    del payload["outputs"][1]["upload_url"]
    assert [path for path, _ in refusal(payload).issues] == ["outputs.1.upload_url"]


def test_network_volume_mode_when_no_output_has_an_upload_url():
    job = job_input.parse_input(valid("network-volume mode: no upload URLs"))
    assert job.uses_volume and job.volume_mount == "/runpod-volume"


def test_refuses_mixed_presigned_and_volume_outputs():
    payload = valid("network-volume mode: no upload URLs")
    payload["outputs"][0]["upload_url"] = "https://bucket.example.com/x"
    assert "presigned or network volume" in str(refusal(payload))


def test_failure_target_only_from_a_usable_callback():
    payload = valid()
    payload["type"] = "upscale"
    assert job_input.failure_target(payload) == (payload["job_id"], payload["callback"]["url"], payload["callback"]["secret"])
    payload["callback"]["secret"] = "plain"
    assert job_input.failure_target(payload) is None
    assert job_input.failure_target("not an object") is None


def test_schema_dir_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("EASEL_SCHEMA_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="EASEL_SCHEMA_DIR"):
        contract.validator("handler-input")


def test_refuses_a_secret_that_cannot_sign():
    payload = valid()
    payload["callback"]["secret"] = "whsec_!!!"
    assert [path for path, _ in refusal(payload).issues] == ["callback.secret"]
    assert job_input.failure_target(payload) is None
