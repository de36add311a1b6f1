import base64
import io
import os
import uuid

import pytest
from PIL import Image

from easel_handler.deadline import Deadline
from easel_handler.retry import Patience, RetryPolicy
from easel_handler.settings import Settings
from easel_handler.stop import JobStop
from tests.support.s3 import S3Server
from tests.support.scripted_http import ScriptedServer, accept, forward_to

# On a RunPod pod this is set; the suite must never send progress to the real job API.
os.environ.pop("RUNPOD_WEBHOOK_POST_OUTPUT", None)

SECRET = "whsec_" + base64.b64encode(b"easel-handler-test-secret-32byte").decode()


@pytest.fixture(scope="session")
def s3():
    with S3Server() as server:
        yield server


@pytest.fixture
def receiver():
    """The Worker's webhook endpoint, as far as the handler can tell: records and answers 202."""
    with ScriptedServer(accept(202)) as server:
        yield server


@pytest.fixture
def s3_proxy(s3):
    """s3rver behind a proxy that can answer 500, 403 or drop the connection on cue."""
    with ScriptedServer(forward_to(s3.port)) as server:
        yield server


@pytest.fixture
def settings():
    return Settings(engine="cpu", retry=RetryPolicy(budget=2.0, base_delay=0.01, max_delay=0.05), progress_interval=0.0,
                    http_timeout=5.0, comfy_ready_timeout=5.0)


def fast_patience(budget=1.0, stop=None) -> Patience:
    """Retries every few milliseconds for `budget` seconds: a test's stand-in for the job's real patience."""
    return Patience(RetryPolicy(budget=budget, base_delay=0.01, max_delay=0.02), stop or JobStop(), Deadline.none(), 5.0)


def png(width=64, height=48, colour=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def make_input(s3, receiver):
    """A contract-v1 input whose outputs are presigned on the test bucket and whose callback is `receiver`."""
    def build(job_type="text-to-image", num_images=2, endpoint=None, volume=None, **params):
        job_id = f"job_{uuid.uuid4().hex[:20]}"
        keys = [f"jobs/own_test/{job_id}/{i}.png" for i in range(num_images)]
        outputs = [
            {"index": i, "key": key, "headers": {} if volume else {"content-type": "image/png"},
             **({} if volume else {"upload_url": s3.presign("PUT", key, content_type="image/png", endpoint=endpoint)})}
            for i, key in enumerate(keys)
        ]
        payload = {
            "contract": 1, "job_id": job_id, "type": job_type,
            "params": {"prompt": "a lighthouse at dusk", "negative_prompt": "blurry", "width": 96, "height": 64,
                       "steps": 4, "seed": 42, "num_images": num_images, **params},
            "inputs": {}, "outputs": outputs,
            "callback": {"url": f"{receiver.url}/api/webhooks/generation/{job_id}?token=t", "secret": SECRET},
        }
        if volume:
            payload["network_volume"] = {"mount_path": str(volume)}
        if job_type == "style-transfer":
            for name, colour in (("style", (20, 40, 220)), ("content", (220, 200, 30))):
                key = f"uploads/own_test/{job_id}-{name}.png"
                s3.put(key, png(80, 80, colour))
                payload["inputs"][f"{name}_image_url"] = s3.presign("GET", key)
        return payload
    return build


def events(receiver) -> list[dict]:
    return [request.json() for request in receiver.requests]


def kinds(receiver) -> list[str]:
    return [body.get("type") or body.get("status") for body in events(receiver)]

