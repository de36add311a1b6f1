"""The comfyui engine against a faithful stand-in of ComfyUI's HTTP and WebSocket API."""
import json

import pytest

from easel_handler.job_input import Params
from easel_handler.engines.base import GenerationRequest
from easel_handler.engines.comfyui import ComfyUIEngine
from easel_handler.errors import EngineFailed
from easel_handler.settings import DEFAULT_WORKFLOW_DIR, Settings
from tests.conftest import png
from tests.recording_sink import RecordingSink
from tests.support.comfy_standin import ComfyStandIn


def generate(comfy, job_type="text-to-image", num_images=2, strength=None, sink=None, **settings):
    sink = sink or RecordingSink()
    engine = ComfyUIEngine(Settings(comfy_host=comfy.host, comfy_ready_timeout=2, comfy_idle_timeout=10, **settings))
    request = GenerationRequest("job_1", job_type, Params("a lighthouse", "blurry", 96, 64, 3, 42, num_images, strength),
                                png(50, 50, (1, 2, 3)), png(40, 40, (4, 5, 6)))
    engine.generate(request, sink)
    return sink


def saved_file(comfy, position):
    """The bytes ComfyUI saved for image `position` (its SaveImage prefix ends in _{position})."""
    (data,) = [d for (_, name), d in comfy.outputs.items() if name.startswith(f"job_1_{position}_")]
    return data


def test_each_image_is_collected_as_soon_as_its_node_finishes():
    with ComfyStandIn(hold_until_collected=True) as comfy:
        sink = generate(comfy)
    assert sink.order == [0, 1]
    assert sink.images == {0: saved_file(comfy, 0), 1: saved_file(comfy, 1)}
    timeline = comfy.timeline
    assert not [t for t in timeline if t[0] == "not_collected"]
    first_view = timeline.index(("view", next(n for (_, n) in comfy.outputs if n.startswith("job_1_0_"))))
    second_chain = [i for i, t in enumerate(timeline) if t == ("executing", "10")]
    assert second_chain and first_view < second_chain[0], "image 0 was not fetched before the next chain ran"


def test_the_queued_workflow_carries_the_job_params_and_client_id():
    with ComfyStandIn() as comfy:
        generate(comfy)
    (body,) = comfy.prompts
    assert set(body) == {"prompt", "client_id"}
    nodes = body["prompt"].values()
    assert {n["inputs"]["seed"] for n in nodes if n["class_type"] == "KSampler"} == {42, 43}
    assert {n["inputs"]["text"] for n in nodes if n["class_type"] == "CLIPTextEncode"} == {"a lighthouse", "blurry"}
    assert [n["inputs"]["width"] for n in nodes if n["class_type"] == "EmptyLatentImage"] == [96]


def test_style_transfer_uploads_both_images_and_loads_them():
    with ComfyStandIn() as comfy:
        sink = generate(comfy, "style-transfer", num_images=1, strength=0.35)
    assert comfy.inputs == {"easel_job_1_content_image.png": png(40, 40, (4, 5, 6)),
                            "easel_job_1_style_image.png": png(50, 50, (1, 2, 3))}
    nodes = comfy.prompts[0]["prompt"].values()
    assert sorted(n["inputs"]["image"] for n in nodes if n["class_type"] == "LoadImage") == sorted(comfy.inputs)
    assert [n["inputs"]["denoise"] for n in nodes if n["class_type"] == "KSampler"] == [0.35]
    assert list(sink.images) == [0]


def test_progress_follows_the_sampler_steps_across_images():
    with ComfyStandIn() as comfy:
        sink = generate(comfy)
    assert sink.progress_values == pytest.approx([1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6, 1])


def test_a_workflow_comfyui_rejects_fails_with_its_reason():
    with ComfyStandIn() as comfy:
        with pytest.raises(EngineFailed) as failure:
            generate(comfy, comfy_checkpoint="missing.safetensors")
    assert str(failure.value) == (
        "ComfyUI rejected the workflow: Prompt outputs failed validation; node 4 (CheckpointLoaderSimple): "
        "Value not in list: ckpt_name: 'missing.safetensors' not in ['sd_xl_base_1.0.safetensors']"
    )


def test_a_partly_valid_workflow_is_taken_back_and_fails(tmp_path):
    template = json.loads((DEFAULT_WORKFLOW_DIR / "text-to-image.json").read_text())
    template["20"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["5", 0]}}
    (tmp_path / "text-to-image.json").write_text(json.dumps(template))
    with ComfyStandIn() as comfy:
        with pytest.raises(EngineFailed, match=r"rejected part of the workflow.*node 20 \(SaveImage\): Return type mismatch"):
            generate(comfy, workflow_dir=tmp_path)
    assert comfy.timeline[-1][0] == "queue_delete"


def test_an_execution_error_fails_with_the_node_and_exception():
    sink = RecordingSink()
    with ComfyStandIn(fail_in="VAEDecode") as comfy:
        with pytest.raises(EngineFailed) as failure:
            generate(comfy, sink=sink)
    assert str(failure.value) == (
        "ComfyUI failed in node 8 (VAEDecode): torch.OutOfMemoryError: Allocation on device: out of memory"
    )
    assert sink.images == {}


def test_an_error_in_a_later_chain_comes_after_the_images_already_made():
    sink = RecordingSink()
    with ComfyStandIn(fail_in="11") as comfy:  # the second chain's VAEDecode
        with pytest.raises(EngineFailed, match=r"node 11 \(VAEDecode\)"):
            generate(comfy, sink=sink)
    assert sink.order == [0]


def test_an_output_whose_message_was_lost_is_read_from_the_history():
    with ComfyStandIn(drop_executed_for=("12",)) as comfy:
        sink = generate(comfy)
    assert sink.images == {0: saved_file(comfy, 0), 1: saved_file(comfy, 1)}


def test_older_comfyui_ending_with_executing_none():
    with ComfyStandIn(sends_success=False) as comfy:
        sink = generate(comfy)
    assert sink.order == [0, 1]


def test_comfyui_not_answering_fails_clearly():
    engine = ComfyUIEngine(Settings(comfy_host="127.0.0.1:9", comfy_ready_timeout=0.3))
    with pytest.raises(EngineFailed, match=r"ComfyUI at http://127.0.0.1:9 did not answer within 0.3 s"):
        engine.generate(GenerationRequest("job_1", "text-to-image", Params("p", "", 64, 64, 1, 1, 1)), RecordingSink())
