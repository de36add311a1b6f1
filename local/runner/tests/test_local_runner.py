"""The local runner against RunPod's queue API: shapes, states, webhook, cancel, timeouts, test hooks."""
import json

STALL = "[runner:stall-mid-job]"
DIE = "[runner:die-mid-job]"


def uploads(recorder, marker="", count=3):
    return {"action": "upload", "urls": [f"{recorder.url}/put/{i}" for i in range(count)], "params": {"prompt": f"x {marker}"}}


def test_run_answers_in_queue_then_completes_with_output_status_and_webhook(runner, recorder):
    job_id = runner.run({"action": "echo", "value": 42}, webhook=f"{recorder.url}/hook")
    webhook = recorder.webhook_for(job_id)
    assert webhook["status"] == "COMPLETED"
    assert webhook["output"] | {"pid": 0} == {"echo": 42, "id": job_id, "pid": 0}
    status, body = runner.call("GET", f"/v2/ep/status/{job_id}")
    assert status == 200
    assert body["status"] == "COMPLETED" and body["output"] == webhook["output"]
    assert isinstance(body["delayTime"], int) and isinstance(body["executionTime"], int)
    assert "error" not in body


def test_the_api_key_is_required(runner):
    assert runner.call("POST", "/v2/ep/run", {"input": {}}, key=None)[0] == 401
    assert runner.call("POST", "/v2/ep/run", {"input": {}}, key="wrong")[0] == 401
    assert runner.call("GET", "/v2/ep/status/anything")[0] == 404
    assert runner.call("GET", "/health", key=None) == (200, {"ok": True})


def test_run_without_an_input_is_refused(runner):
    status, body = runner.call("POST", "/v2/ep/run", {"webhook": "http://x"})
    assert status == 400 and "input" in body["error"]


def test_an_error_in_the_output_fails_the_job(runner, recorder):
    job_id = runner.run({"action": "error"}, webhook=f"{recorder.url}/hook")
    webhook = recorder.webhook_for(job_id)
    assert webhook["status"] == "FAILED"
    assert webhook["error"] == "the handler said no"


def test_an_exception_fails_the_job_with_runpods_error_fields(runner, recorder):
    job_id = runner.run({"action": "raise"}, webhook=f"{recorder.url}/hook")
    error = json.loads(recorder.webhook_for(job_id)["error"])
    assert error["error_type"] == "<class 'ValueError'>"
    assert error["error_message"] == "the handler blew up"
    assert "Traceback" in error["error_traceback"]


def test_cancel_stops_a_running_job_and_sends_cancelled(runner, recorder):
    job_id = runner.run(uploads(recorder, STALL), webhook=f"{recorder.url}/hook")
    with recorder.changed:
        assert recorder.changed.wait_for(lambda: len(recorder.puts) == 1, 30)
    status, body = runner.call("POST", f"/v2/ep/cancel/{job_id}")
    assert (status, body["status"]) == (200, "CANCELLED")
    assert recorder.webhook_for(job_id)["status"] == "CANCELLED"
    runner.wait_for_end(job_id)
    assert runner.call("GET", f"/v2/ep/status/{job_id}")[1]["status"] == "CANCELLED"
    assert recorder.puts == ["/put/0"]


def test_a_killed_worker_reports_nothing_and_the_job_times_out(runner, recorder):
    job_id = runner.run(uploads(recorder, DIE), webhook=f"{recorder.url}/hook", policy={"executionTimeout": 1500})
    webhook = recorder.webhook_for(job_id)
    assert webhook["status"] == "TIMED_OUT"
    assert "execution timeout" in webhook["error"]
    assert "output" not in webhook
    assert recorder.puts == ["/put/0"]


def test_a_job_past_its_execution_timeout_is_stopped(runner, recorder):
    job_id = runner.run(uploads(recorder, STALL), webhook=f"{recorder.url}/hook", policy={"executionTimeout": 1000})
    assert recorder.webhook_for(job_id)["status"] == "TIMED_OUT"
    assert recorder.puts == ["/put/0"]


def test_jobs_without_a_marker_are_untouched_by_the_failure_hooks(runner, recorder):
    job_id = runner.run(uploads(recorder), webhook=f"{recorder.url}/hook")
    webhook = recorder.webhook_for(job_id)
    assert webhook | {"delayTime": 0, "executionTime": 0, "workerId": ""} == {
        "id": job_id, "status": "COMPLETED", "output": {"uploaded": 3, "pid": webhook["output"]["pid"]},
        "delayTime": 0, "executionTime": 0, "workerId": "",
    }
    assert sorted(recorder.puts) == ["/put/0", "/put/1", "/put/2"]


def test_a_cancelled_job_in_the_queue_never_runs(runner, recorder):
    blocker = runner.run(uploads(recorder, STALL), webhook=f"{recorder.url}/hook")
    queued = runner.run({"action": "echo", "value": 1}, webhook=f"{recorder.url}/hook")
    assert runner.call("GET", f"/v2/ep/status/{queued}")[1]["status"] == "IN_QUEUE"
    assert runner.call("POST", f"/v2/ep/cancel/{queued}")[1]["status"] == "CANCELLED"
    runner.call("POST", f"/v2/ep/cancel/{blocker}")
    runner.wait_for_end(blocker)
    assert recorder.webhook_for(queued)["status"] == "CANCELLED"
    assert "output" not in runner.call("GET", f"/v2/ep/status/{queued}")[1]
