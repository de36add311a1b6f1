"""Every way a job ends early takes the prompt back from ComfyUI and ends the job promptly with a clear reason."""
import asyncio
import dataclasses
import threading
from datetime import datetime, timedelta, timezone

import pytest
from runpod.serverless.modules.rp_job import run_job
from runpod.serverless.modules.rp_scale import JobScaler

from easel_handler.job_runner import handle
from easel_handler.retry import RetryPolicy
from easel_handler.runpod_entry import run_cancellable
from easel_handler.stop import JobStop
from tests.conftest import events, kinds
from tests.support.comfy import ComfyStandIn, Script
from tests.support.scripted_http import ScriptedServer

SLOW = Script(step_seconds=0.15)  # each sampler step takes a while: the early end lands mid-prompt


@pytest.fixture
def comfy():
    with ComfyStandIn(dataclasses.replace(SLOW)) as standin:
        yield standin


@pytest.fixture
def comfy_settings(settings, comfy):
    return dataclasses.replace(settings, engine="comfyui", comfy_host=comfy.host, comfy_dir=comfy.base_dir,
                               comfy_poll_interval=0.05, progress_interval=3600)


def assert_taken_back(comfy):
    """ComfyUI was told to stop the prompt and no longer runs it; the job's files are gone."""
    assert len(comfy.prompts) == 1
    prompt_id = next(pid for pid, entry in comfy.queue.history.items())
    assert ("POST /interrupt", prompt_id) in comfy.calls
    assert not comfy.queue.running and not comfy.queue.pending
    assert comfy.queue.history[prompt_id]["status"]["messages"][-1][0] in ("execution_interrupted", "execution_error")
    assert comfy.files("output") == [] and comfy.files("input") == []


def test_an_engine_error_ends_the_job_with_comfyui_s_reason(make_input, comfy_settings, receiver):
    with ComfyStandIn(Script(fail_in="11")) as failing:
        settings = dataclasses.replace(comfy_settings, comfy_host=failing.host, comfy_dir=failing.base_dir)
        result = handle({"id": "rp-1", "input": make_input(num_images=2)}, settings)
        assert_taken_back(failing)
    assert result["error"] == "ComfyUI failed in node 11 (VAEDecode): torch.OutOfMemoryError: Allocation on device: out of memory"
    assert kinds(receiver)[-1] == "failed"


def test_an_upload_that_gives_up_interrupts_the_prompt(make_input, comfy, comfy_settings, receiver):
    payload = make_input(num_images=2)
    for output in payload["outputs"]:
        output["upload_url"] = "http://127.0.0.1:9/bucket/x.png?X-Amz-Signature=s3cr3t"
    settings = dataclasses.replace(comfy_settings, retry=RetryPolicy(budget=0.2, base_delay=0.02, max_delay=0.05))
    result = handle({"id": "rp-1", "input": payload}, settings)
    assert_taken_back(comfy)
    assert result["error"].startswith("upload of image 0 to the bucket: gave up after")
    assert result["error"].endswith("(last: could not connect to 127.0.0.1:9 (connection refused))")
    assert events(receiver)[-1]["error"] == result["error"] and "s3cr3t" not in result["error"]


def test_a_webhook_the_worker_refuses_interrupts_the_prompt(make_input, comfy, comfy_settings):
    def refuse_images(request):
        if request.json()["type"] == "image":
            return 422, {"content-type": "application/json"}, b'{"error":{"code":"bad_key","message":"key outside the job"}}'
        return 202, {"content-type": "application/json"}, b"{}"

    with ScriptedServer(refuse_images) as worker:
        payload = make_input(num_images=2)
        payload["callback"]["url"] = f"{worker.url}/api/webhooks/generation/{payload['job_id']}"
        result = handle({"id": "rp-1", "input": payload}, comfy_settings)
    assert_taken_back(comfy)
    assert result["error"] == "the Worker refused the image webhook with HTTP 422 (bad_key: key outside the job)"


def test_a_final_status_in_the_worker_s_answer_stops_the_job_without_a_failed_webhook(make_input, comfy, comfy_settings):
    def answer(request):  # the client cancels once the prompt runs: the next webhook's answer says so
        status = b'"canceled","detail":"canceled by the client"' if comfy.queue.running else b'"running"'
        return 200, {"content-type": "application/json"}, b'{"result":"applied","status":' + status + b"}"

    with ScriptedServer(answer) as worker:
        payload = make_input(num_images=2)
        payload["callback"]["url"] = f"{worker.url}/api/webhooks/generation/{payload['job_id']}"
        result = handle({"id": "rp-1", "input": payload}, dataclasses.replace(comfy_settings, progress_interval=0))
    assert_taken_back(comfy)
    assert result["error"] == "the Worker ended the job (canceled: canceled by the client)"
    assert "failed" not in [r.json()["type"] for r in worker.requests]


def test_the_job_s_deadline_stops_it_before_the_worker_gives_up(make_input, comfy, comfy_settings, receiver):
    payload = make_input(num_images=2, steps=20)  # about 6 s of sampling
    deadline = datetime.now(timezone.utc) + timedelta(seconds=2)
    payload["deadline_at"] = deadline.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    result = handle({"id": "rp-1", "input": payload}, comfy_settings)
    assert_taken_back(comfy)
    assert result["error"].startswith(f"the job's deadline ({payload['deadline_at']}, less 0.")
    assert result["error"].endswith(" s to report) came before the job finished")
    assert events(receiver)[-1] == {"type": "failed", "job_id": payload["job_id"], "runpod_job_id": "rp-1",
                                    "error": result["error"]}


def test_runpod_s_cancel_reaches_the_running_job(make_input, comfy, comfy_settings, receiver):
    """The SDK's own path: JobScaler.stop_job cancels the task that awaits the handler (runpod 1.12)."""
    job = {"id": "rp-1", "input": make_input(num_images=2)}
    outcome = {}

    async def scenario():
        scaler = JobScaler({"handler": None})
        task = asyncio.create_task(run_job(lambda j: run_cancellable(j, lambda j, stop: handle(j, comfy_settings, stop=stop)),
                                           job))
        scaler.jobs_tasks[job["id"]] = task
        while not comfy.queue.running:
            await asyncio.sleep(0.02)
        assert await scaler.stop_job(job["id"])
        with pytest.raises(asyncio.CancelledError):
            await task
        outcome["stopped"] = True

    asyncio.run(scenario())
    assert outcome == {"stopped": True}
    assert_taken_back(comfy)
    assert events(receiver)[-1]["error"] == "RunPod cancelled the job"


def test_a_prompt_that_ignores_the_interrupt_asks_runpod_for_a_fresh_worker(make_input, settings, receiver):
    # A node that never checks for interrupts (a custom node busy in native code) keeps the GPU: RunPod must replace
    # the worker (the result's refresh_worker), or the next job waits behind it.
    with ComfyStandIn(Script(step_seconds=0.15, ignores_interrupts=True)) as comfy:
        settings = dataclasses.replace(settings, engine="comfyui", comfy_host=comfy.host, comfy_dir=comfy.base_dir,
                                       comfy_interrupt_wait=0.3)
        stop = JobStop()
        threading.Timer(0.5, lambda: stop.stop("RunPod cancelled the job")).start()
        result = handle({"id": "rp-1", "input": make_input(num_images=2)}, settings, stop=stop)
    assert result == {"error": "RunPod cancelled the job", "refresh_worker": True}


def test_refresh_worker_is_offered_as_an_option(make_input, settings):
    result = handle({"id": "rp-1", "input": make_input(num_images=1)}, dataclasses.replace(settings, refresh_worker=True))
    assert result["refresh_worker"] is True and len(result["images"]) == 1
