"""handler.py as RunPod runs it (the SDK's local test entry) and as the local runner loads it (by path, in a thread)."""
import importlib.util
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from easel_handler import contract
from easel_handler.settings import Settings
from tests.conftest import SECRET, kinds
from tests.support.scripted_http import ScriptedServer, accept

HANDLER = Path(__file__).resolve().parents[1] / "handler.py"
REPO = HANDLER.parents[1]


def run_cli(payload, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RUNPOD_")}
    environment.update(EASEL_ENGINE="cpu", EASEL_RETRY_BASE_SECONDS="0.01", **env)
    return subprocess.run([sys.executable, str(HANDLER), "--test_input", json.dumps({"input": payload})],
                          cwd=REPO, env=environment, capture_output=True, text=True, timeout=60)


def test_the_sdk_local_entry_makes_real_images_and_signed_webhooks(s3, receiver, make_input):
    payload = make_input(num_images=2)
    run = run_cli(payload)
    assert run.returncode == 0, run.stdout + run.stderr
    for output in payload["outputs"]:
        stored = s3.get(output["key"])
        assert stored.status_code == 200 and stored.content.startswith(b"\x89PNG")
    bodies = [Webhook(SECRET).verify(r.body, r.headers) for r in receiver.requests]
    assert all(contract.issues("webhook-event", body) == [] for body in bodies)
    assert [b["type"] for b in bodies if b["type"] != "progress"] == ["image", "image", "completed"]
    assert "base64" not in run.stdout and "iVBOR" not in run.stdout  # the result is metadata, never bytes


def test_the_sdk_local_entry_exits_non_zero_on_a_failed_job(receiver, make_input):
    payload = make_input()
    payload["type"] = "upscale"
    run = run_cli(payload)
    assert run.returncode == 1
    assert kinds(receiver) == ["failed"]


def test_sdk_progress_updates_reach_runpod_when_it_is_there(receiver, make_input):
    with ScriptedServer(accept(200)) as runpod_api:
        run = run_cli(make_input(num_images=1), EASEL_PROGRESS_INTERVAL="0",
                      RUNPOD_WEBHOOK_POST_OUTPUT=f"{runpod_api.url}/job-done/$ID?gpu=test")
        assert run.returncode == 0, run.stderr
    updates = [json.loads(r.body) for r in runpod_api.requests]
    # Progress is sent from its own thread, newest first: an update overtaken by the next one is never sent.
    assert updates and {u["status"] for u in updates} == {"IN_PROGRESS"}
    figures = [u["output"]["progress"] for u in updates]
    assert figures == sorted(set(figures)) and set(figures) <= {0.0, 95.0}
    assert runpod_api.requests[0].path.startswith("/job-done/local_test?gpu=test")


def load_handler_by_path():
    spec = importlib.util.spec_from_file_location("easel_gpu_handler_under_test", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_loaded_by_path_and_called_in_a_thread_without_runpod(monkeypatch, s3, receiver, make_input):
    monkeypatch.setenv("EASEL_ENGINE", "cpu")
    for name in [n for n in os.environ if n.startswith("RUNPOD_")]:
        monkeypatch.delenv(name)
    module = load_handler_by_path()
    results = []
    worker = threading.Thread(target=lambda: results.append(module.handler({"id": "r-1", "input": make_input(num_images=1)})))
    worker.start()
    worker.join(30)
    (result,) = results
    assert contract.issues("handler-result", result) == [] and len(result["images"]) == 1
    assert kinds(receiver)[-1] == "completed"


def test_engine_defaults_to_comfyui_and_reads_the_environment():
    assert Settings.from_env({}).engine == "comfyui"
    assert Settings.from_env({}).comfy_host == "127.0.0.1:8188"
    assert Settings.from_env({}).retry.budget == 300 and not Settings.from_env({}).refresh_worker
    settings = Settings.from_env({"EASEL_ENGINE": " CPU ", "COMFY_HOST": "comfy:9000", "EASEL_RETRY_BUDGET_SECONDS": "90",
                                  "REFRESH_WORKER": "true", "EASEL_VOLUME_MOUNT": "/mnt/volume"})
    assert (settings.engine, settings.comfy_host, settings.retry.budget) == ("cpu", "comfy:9000", 90)
    assert settings.refresh_worker and str(settings.volume_mount) == "/mnt/volume"

