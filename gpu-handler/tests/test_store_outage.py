"""A 60 s store outage in mid-job costs time, not the job: the real S3 server goes away after the first image and
comes back a minute later on the same port; every image lands, and the job completes."""
import dataclasses
import threading

from easel_handler.job_runner import handle
from easel_handler.retry import RetryPolicy
from tests.support.s3 import S3Server
from tests.support.scripted_http import ScriptedServer

OUTAGE_SECONDS = 60


def test_a_minute_without_the_store_costs_time_not_the_job(make_input, settings):
    with S3Server() as store:
        outage = threading.Event()

        def worker(request):  # the Worker's webhook route; the first image announced takes the store down
            body = request.json()
            if body["type"] == "image" and not outage.is_set():
                outage.set()
                store.stop()
                threading.Timer(OUTAGE_SECONDS, store.start).start()
            return 200, {"content-type": "application/json"}, b'{"result":"applied","status":"running"}'

        with ScriptedServer(worker) as receiver:
            payload = make_input(num_images=3)
            payload["callback"]["url"] = f"{receiver.url}/api/webhooks/generation/{payload['job_id']}"
            for output in payload["outputs"]:
                output["upload_url"] = store.presign("PUT", output["key"], content_type="image/png")
            # The default policy's shape (backoff to 10 s) with a budget that covers the outage, as the default does.
            job_settings = dataclasses.replace(settings, retry=RetryPolicy(budget=120, base_delay=0.5, max_delay=10))
            result = handle({"id": "rp-outage", "input": payload}, job_settings)

            assert outage.is_set() and "error" not in result, result
            assert [image["index"] for image in result["images"]] == [0, 1, 2]
            for image in result["images"]:
                assert len(store.get(image["key"]).content) == image["size"]
            sent = [r.json() for r in receiver.requests]
            assert sent[-1]["type"] == "completed" and sent[-1]["images"] == result["images"]
            assert sorted(e["image"]["index"] for e in sent if e["type"] == "image") == [0, 1, 2]
