"""The comfyui engine against the ComfyUI stand-in (tests/support/comfy, BEHAVIOURS.md): the happy path, ComfyUI's
refusals and failures, and the ways a run misbehaves (lost messages, dropped sockets, long silences)."""
import json
import threading

import pytest

from easel_handler.engines.base import GenerationRequest
from easel_handler.engines.comfyui import ComfyUIEngine
from easel_handler.errors import EngineFailed, JobStopped
from easel_handler.job_input import Params
from easel_handler.settings import DEFAULT_WORKFLOW_DIR, Settings
from easel_handler.stop import JobStop
from tests.conftest import png
from tests.recording_sink import RecordingSink
from tests.support.comfy import ComfyStandIn, Script
from tests.support.comfy.nodes import png as standin_png, seed_colour

STYLE, CONTENT = (20, 40, 220), (220, 200, 30)
SCALE = 1 / 400  # the stand-in's clock: a scripted 600 s lasts 1.5 s, and the engine's 30 s silence check 0.075 s


def engine_for(comfy, **overrides):
    settings = dict(comfy_host=comfy.host, comfy_dir=comfy.base_dir, comfy_ready_timeout=2, comfy_poll_interval=0.05,
                    comfy_interrupt_wait=5)
    return ComfyUIEngine(Settings(**{**settings, **overrides}))


def request(job_type="text-to-image", num_images=2, strength=None):
    return GenerationRequest("job_1", job_type, Params("a lighthouse", "blurry", 96, 64, 3, 42, num_images, strength),
                             png(50, 50, STYLE), png(40, 40, CONTENT))


def generate(comfy, job_type="text-to-image", num_images=2, strength=None, sink=None, stop=None, **settings):
    sink = sink or RecordingSink()
    engine_for(comfy, **settings).generate(request(job_type, num_images, strength), sink, stop or JobStop())
    return sink


def outputs(comfy):
    return {name: (comfy.output_dir / name).read_bytes() for name in comfy.files("output")}


def test_each_image_is_handed_on_as_its_save_node_finishes():
    with ComfyStandIn() as comfy:
        sink = generate(comfy)
        saved = outputs(comfy)
    assert sink.order == [0, 1]
    assert sink.images == {0: saved["easel/job_1_0_00001_.png"], 1: saved["easel/job_1_1_00002_.png"]}
    assert sink.images[1] == standin_png(96, 64, seed_colour(43))


def test_the_queued_workflow_carries_the_job_params_and_client_id():
    with ComfyStandIn() as comfy:
        generate(comfy)
    (body,) = comfy.prompts
    assert set(body) == {"prompt", "client_id"}
    nodes = body["prompt"].values()
    assert {n["inputs"]["seed"] for n in nodes if n["class_type"] == "KSampler"} == {42, 43}
    assert {n["inputs"]["text"] for n in nodes if n["class_type"] == "CLIPTextEncode"} == {"a lighthouse", "blurry"}
    assert [n["inputs"]["width"] for n in nodes if n["class_type"] == "EmptyLatentImage"] == [96]


def test_style_transfer_applies_the_style_image_through_ipadapter_at_the_job_s_strength():
    with ComfyStandIn() as comfy:
        sink = generate(comfy, "style-transfer", num_images=1, strength=0.8)
    prompt = comfy.prompts[0]["prompt"]
    (ipadapter,) = [n for n in prompt.values() if n["class_type"] == "IPAdapterAdvanced"]
    assert (ipadapter["inputs"]["weight"], ipadapter["inputs"]["weight_type"]) == (0.8, "style transfer")
    assert prompt[ipadapter["inputs"]["image"][0]]["inputs"]["image"] == "easel_job_1_style_image.png"
    (sampler,) = [n for n in prompt.values() if n["class_type"] == "KSampler"]
    assert prompt[sampler["inputs"]["model"][0]] is ipadapter
    # The stand-in's sampler leans the seed's colour toward the style image's by the IPAdapter weight.
    expected = tuple(round(c * 0.2 + s * 0.8) for c, s in zip(seed_colour(42), STYLE))
    assert sink.images[0] == standin_png(96, 64, expected)


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


def test_a_partly_valid_workflow_is_taken_back_from_the_queue_and_interrupted(tmp_path):
    template = json.loads((DEFAULT_WORKFLOW_DIR / "text-to-image.json").read_text())
    template["20"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "x", "images": ["5", 0]}}
    (tmp_path / "text-to-image.json").write_text(json.dumps(template))
    with ComfyStandIn(Script(step_seconds=0.2)) as comfy:
        with pytest.raises(EngineFailed, match=r"rejected part of the workflow.*node 20 \(SaveImage\): Return type mismatch"):
            generate(comfy, workflow_dir=tmp_path)
        (entry,) = comfy.queue.history.values()
    prompt_id = entry["prompt"][1]
    assert ("POST /queue delete", prompt_id) in comfy.calls and ("POST /interrupt", prompt_id) in comfy.calls
    assert entry["status"]["status_str"] == "error" and entry["status"]["messages"][-1][0] == "execution_interrupted"
    assert "easel/job_1_0_00001_.png" not in comfy.files("output")


def test_an_execution_error_fails_with_the_node_and_exception():
    sink = RecordingSink()
    with ComfyStandIn(Script(fail_in="VAEDecode")) as comfy:
        with pytest.raises(EngineFailed) as failure:
            generate(comfy, sink=sink)
    assert str(failure.value) == (
        "ComfyUI failed in node 8 (VAEDecode): torch.OutOfMemoryError: Allocation on device: out of memory"
    )
    assert sink.images == {}


def test_an_error_in_a_later_chain_comes_after_the_images_already_made():
    sink = RecordingSink()
    with ComfyStandIn(Script(fail_in="11")) as comfy:  # the second chain's VAEDecode
        with pytest.raises(EngineFailed, match=r"node 11 \(VAEDecode\)"):
            generate(comfy, sink=sink)
    assert sink.order == [0]


def test_an_output_whose_message_was_lost_is_read_from_the_history():
    with ComfyStandIn(Script(drop_executed_for=("12",))) as comfy:
        sink = generate(comfy)
    assert sorted(sink.images) == [0, 1]


def test_older_comfyui_ending_with_executing_none():
    with ComfyStandIn(Script(sends_success=False)) as comfy:
        sink = generate(comfy)
    assert sink.order == [0, 1]


def test_comfyui_not_answering_fails_clearly():
    engine = ComfyUIEngine(Settings(comfy_host="127.0.0.1:9", comfy_ready_timeout=0.3))
    with pytest.raises(EngineFailed, match=r"ComfyUI at http://127.0.0.1:9 did not answer within 0.3 s"):
        engine.generate(GenerationRequest("job_1", "text-to-image", Params("p", "", 64, 64, 1, 1, 1)), RecordingSink(),
                        JobStop())


def test_a_websocket_dropped_mid_job_is_reopened_and_every_image_delivered():
    with ComfyStandIn(Script(drop_socket_at=("3",))) as comfy:  # as the first image's sampler starts
        sink = generate(comfy)
    assert ("socket dropped", comfy.prompts[0]["client_id"]) in comfy.calls
    assert sorted(sink.images) == [0, 1]


def test_a_websocket_that_cannot_be_reopened_falls_back_to_polling_and_delivers_every_image():
    with ComfyStandIn(Script(drop_socket_at=("3",), refuse_sockets=True, step_seconds=0.05)) as comfy:
        sink = generate(comfy, comfy_reconnects=2)
    assert comfy.refusing_sockets and sorted(sink.images) == [0, 1]


def test_ten_minutes_of_silence_while_the_prompt_runs_still_delivers_every_image():
    # A checkpoint loading from a network volume: 600 s (compressed) without one message, ComfyUI still running it.
    script = Script(silent={"CheckpointLoaderSimple": 600}, time_scale=SCALE)
    with ComfyStandIn(script) as comfy:
        sink = generate(comfy, comfy_silence_check=30 * SCALE)
    assert sorted(sink.images) == [0, 1]
    queue_checks = [call for call in comfy.calls if call[0] == "GET /queue"]
    assert len(queue_checks) >= 10  # the silence was judged against ComfyUI's queue, many times, not against a clock


def test_a_prompt_comfyui_no_longer_knows_fails_clearly():
    script = Script(silent={"CheckpointLoaderSimple": 600}, time_scale=SCALE)
    with ComfyStandIn(script) as comfy:
        forget = threading.Timer(0.3, lambda: (comfy.queue.running.clear(), comfy.queue.pending.clear()))
        forget.start()  # as if ComfyUI had restarted under the handler
        with pytest.raises(EngineFailed, match=r"ComfyUI no longer has prompt .* in its queue or its history"):
            generate(comfy, comfy_silence_check=30 * SCALE)


def test_a_stop_while_the_prompt_runs_interrupts_it_in_comfyui():
    stop = JobStop()
    with ComfyStandIn(Script(step_seconds=0.1)) as comfy:
        threading.Timer(0.4, lambda: stop.stop("RunPod cancelled the job")).start()
        with pytest.raises(JobStopped, match="RunPod cancelled the job"):
            generate(comfy, stop=stop)
        (entry,) = comfy.queue.history.values()
    assert ("POST /interrupt", entry["prompt"][1]) in comfy.calls
    assert entry["status"]["messages"][-1][0] == "execution_interrupted" and not comfy.queue.running


def test_a_stop_while_the_prompt_is_still_pending_removes_it_from_the_queue():
    stop = JobStop()
    with ComfyStandIn() as comfy:
        with comfy.paused():
            threading.Timer(0.3, lambda: stop.stop("the Worker ended the job (canceled)")).start()
            with pytest.raises(JobStopped, match=r"the Worker ended the job \(canceled\)"):
                generate(comfy, stop=stop)
            prompt_id = next(call[1] for call in comfy.calls if call[0] == "POST /queue delete")
            assert comfy.queue.pending == [] and comfy.queue.history == {}
    assert prompt_id not in comfy.queue.history  # never ran, even once the worker went on


def test_the_job_s_inputs_and_outputs_are_deleted_from_comfyui_s_folders():
    with ComfyStandIn() as comfy:
        engine = engine_for(comfy)
        engine.generate(request("style-transfer", num_images=2, strength=0.5), RecordingSink(), JobStop())
        assert len(comfy.files("input")) == 2 and len(comfy.files("output")) == 2
        (comfy.output_dir / "easel" / "other_job_0_00009_.png").write_bytes(b"another job's")
        engine.clean_up(request("style-transfer"))
        assert comfy.files("input") == [] and comfy.files("output") == ["easel/other_job_0_00009_.png"]
    assert not engine.needs_refresh


def test_a_failed_job_is_cleaned_up_too():
    with ComfyStandIn(Script(fail_in="11")) as comfy:
        engine = engine_for(comfy)
        with pytest.raises(EngineFailed):
            engine.generate(request("style-transfer", num_images=2), RecordingSink(), JobStop())
        engine.clean_up(request("style-transfer"))
        assert comfy.files("input") == [] and comfy.files("output") == []
