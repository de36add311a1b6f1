"""Warm handler processes: one per worker slot, imported once, replaced when a job kills it or asks to be refreshed."""
import json
import os
import time

import pytest

from conftest import WAIT_S

STALL = "[runner:stall-mid-job]"
DIE = "[runner:die-mid-job]"


def uploads(recorder, prefix: str, count: int, marker: str = ""):
    return {"action": "upload", "urls": [f"{recorder.url}/{prefix}/{i}" for i in range(count)], "params": {"prompt": f"x {marker}"}}


def puts_under(recorder, prefix: str) -> list[str]:
    return [path for path in recorder.puts if path.startswith(f"/{prefix}/")]


def wait_for_put(recorder, path: str) -> None:
    with recorder.changed:
        assert recorder.changed.wait_for(lambda: path in recorder.puts, WAIT_S), f"no PUT to {path}"


def wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"handler process {pid} is still running")


def completed_output(runner, recorder, job_input: dict) -> dict:
    webhook = recorder.webhook_for(runner.run(job_input, webhook=f"{recorder.url}/hook"))
    assert webhook["status"] == "COMPLETED", webhook
    return webhook["output"]


def test_the_second_job_in_a_slot_runs_in_the_same_process_without_importing_again(runner, recorder):
    first = completed_output(runner, recorder, {"action": "echo", "value": 1})
    second = completed_output(runner, recorder, {"action": "echo", "value": 2})
    assert first["pid"] == second["pid"]
    assert runner.handler_imports() == [(first["pid"], "local-ep-0")]


@pytest.mark.parametrize("stop", ["cancel", "execution timeout"])
def test_a_stopped_job_kills_its_process_and_a_replacement_is_started_ahead(start_runner, recorder, stop):
    runner = start_runner()
    policy = {"executionTimeout": 1000} if stop == "execution timeout" else {}
    job_id = runner.run(uploads(recorder, "a", 3, STALL), webhook=f"{recorder.url}/hook", policy=policy)
    wait_for_put(recorder, "/a/0")
    [(stalled_pid, _)] = runner.handler_imports()
    if stop == "cancel":
        assert runner.call("POST", f"/v2/ep/cancel/{job_id}")[1]["status"] == "CANCELLED"
    assert recorder.webhook_for(job_id)["status"] == ("CANCELLED" if stop == "cancel" else "TIMED_OUT")
    wait_until_gone(stalled_pid)
    # The replacement imports the handler before any job asks for it.
    replacement_pid = runner.handler_imports(at_least=2)[1][0]
    assert completed_output(runner, recorder, {"action": "echo", "value": 1})["pid"] == replacement_pid
    assert len(runner.handler_imports()) == 2
    assert puts_under(recorder, "a") == ["/a/0"]


def test_a_process_that_dies_mid_job_leaves_the_job_in_progress_and_the_slot_goes_on(runner, recorder):
    lost = runner.run(uploads(recorder, "a", 3, DIE), webhook=f"{recorder.url}/hook", policy={"executionTimeout": 600_000})
    wait_for_put(recorder, "/a/0")
    dead_pid, replacement_pid = (pid for pid, _ in runner.handler_imports(at_least=2))
    wait_until_gone(dead_pid)
    assert completed_output(runner, recorder, {"action": "echo", "value": 1})["pid"] == replacement_pid
    assert runner.call("GET", f"/v2/ep/status/{lost}")[1]["status"] == "IN_PROGRESS"
    assert runner.call("POST", f"/v2/ep/cancel/{lost}")[1]["status"] == "CANCELLED"
    assert puts_under(recorder, "a") == ["/a/0"]


def test_failure_hooks_count_each_jobs_own_uploads_in_a_warm_process(runner, recorder):
    marked_pid = completed_output(runner, recorder, uploads(recorder, "a", 1, STALL))["pid"]
    unmarked = completed_output(runner, recorder, uploads(recorder, "b", 3))
    assert unmarked == {"uploaded": 3, "pid": marked_pid}
    stalled = runner.run(uploads(recorder, "c", 3, STALL), webhook=f"{recorder.url}/hook")
    wait_for_put(recorder, "/c/0")
    assert runner.handler_imports() == [(marked_pid, "local-ep-0")]
    runner.call("POST", f"/v2/ep/cancel/{stalled}")
    runner.wait_for_end(stalled)
    wait_until_gone(marked_pid)
    assert (puts_under(recorder, "a"), sorted(puts_under(recorder, "b")), puts_under(recorder, "c")) == (
        ["/a/0"], ["/b/0", "/b/1", "/b/2"], ["/c/0"],
    )


def test_the_runners_environment_reaches_the_handler_processes_with_a_pod_id_per_slot(start_runner, recorder):
    runner = start_runner(workers_per_endpoint=2, env={**os.environ, "EASEL_VOLUME_MOUNT": "/mnt/volume", "EASEL_ENGINE": "test-engine"})
    job_id = runner.run({"action": "env"}, webhook=f"{recorder.url}/hook")
    webhook = recorder.webhook_for(job_id)
    assert webhook["output"] == {"EASEL_VOLUME_MOUNT": "/mnt/volume", "EASEL_ENGINE": "test-engine", "RUNPOD_POD_ID": webhook["workerId"]}
    assert sorted(pod for _, pod in runner.handler_imports(at_least=2)) == ["local-ep-0", "local-ep-1"]


def test_the_engine_is_cpu_unless_the_runners_environment_names_one(start_runner, recorder):
    runner = start_runner(env={name: value for name, value in os.environ.items() if name != "EASEL_ENGINE"})
    assert completed_output(runner, recorder, {"action": "env"})["EASEL_ENGINE"] == "cpu"


def test_refresh_worker_replaces_the_process_after_the_job(runner, recorder):
    refreshed = completed_output(runner, recorder, {"action": "refresh"})
    assert set(refreshed) == {"pid"}
    after = completed_output(runner, recorder, {"action": "echo", "value": 1})
    assert after["pid"] != refreshed["pid"]
    assert [pid for pid, _ in runner.handler_imports()] == [refreshed["pid"], after["pid"]]
    wait_until_gone(refreshed["pid"])


def test_a_handler_that_cannot_be_imported_fails_each_job_with_the_import_error(start_runner, recorder, tmp_path):
    broken = tmp_path / "broken_handler.py"
    broken.write_text('raise RuntimeError("no GPU in this process")\n')
    runner = start_runner(handler=broken)
    for _ in range(2):
        job_id = runner.run({"action": "echo"}, webhook=f"{recorder.url}/hook")
        webhook = recorder.webhook_for(job_id)
        assert webhook["status"] == "FAILED"
        error = json.loads(webhook["error"])
        assert (error["error_type"], error["error_message"]) == ("<class 'RuntimeError'>", "no GPU in this process")


def test_stopping_the_runner_ends_its_idle_and_busy_handler_processes(start_runner, recorder):
    runner = start_runner(workers_per_endpoint=2)
    runner.run(uploads(recorder, "a", 3, STALL), webhook=f"{recorder.url}/hook")
    wait_for_put(recorder, "/a/0")
    pids = [pid for pid, _ in runner.handler_imports(at_least=2)]
    runner.queue.stop_all()
    for pid in pids:
        wait_until_gone(pid)
