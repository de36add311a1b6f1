"""Delivery cost per image in the GPU handler, against a bare PUT of the same bytes.

Starts s3rver (a real S3 server) and a local webhook receiver, then for each image kind times
(a) a bare presigned PUT of the bytes and (b) the handler's delivery of the same bytes (presigned
PUT with retries, size/type/dimensions/sha256, signed `image` webhook), and measures the bytes of
each image webhook. The legacy handlers' way (the image as base64 inside the webhook) is measured as a reference.
Prints a markdown table.

    gpu-handler/.venv/bin/python scripts/bench/handler_delivery.py [--rounds 3]
"""
import argparse
import base64
import io
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

HANDLER_DIR = Path(__file__).resolve().parents[2] / "gpu-handler"
sys.path.insert(0, str(HANDLER_DIR))

import requests  # noqa: E402
from PIL import Image  # noqa: E402

from easel_handler.job_input import parse_input  # noqa: E402
from easel_handler.engines.cpu import text_to_image  # noqa: E402
from easel_handler.job_runner import JobRun  # noqa: E402
from easel_handler.retry import RetryPolicy  # noqa: E402
from easel_handler.settings import Settings  # noqa: E402
from easel_handler.stop import JobStop  # noqa: E402
from tests.support.s3 import S3Server  # noqa: E402
from tests.support.scripted_http import ScriptedServer, accept  # noqa: E402

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()
PER_JOB = 8  # the contract's most images per job


def png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def seed_sized_png() -> bytes:
    """About a legacy handler's 1.10 MB image: a 1024x1024 picture with a little photo-like noise in it."""
    noise = Image.frombytes("RGB", (1024, 1024), random.Random(7).randbytes(1024 * 1024 * 3))
    return png(Image.blend(text_to_image("seed-sized", 7, 1024, 1024), noise, 0.012))


def image_kinds() -> dict[str, bytes]:
    return {
        "cpu engine 512x512": png(text_to_image("a lighthouse at dusk", 1, 512, 512)),
        "cpu engine 1024x1024": png(text_to_image("a lighthouse at dusk", 1, 1024, 1024)),
        "photo-like, seed-sized": seed_sized_png(),
    }


def job_input(s3: S3Server, receiver: ScriptedServer, count: int) -> dict:
    job_id = f"job_bench_{uuid.uuid4().hex[:12]}"
    keys = [f"jobs/own_bench/{job_id}/{i}.png" for i in range(count)]
    return {
        "contract": 1, "job_id": job_id, "type": "text-to-image",
        "params": {"prompt": "bench", "negative_prompt": "", "width": 512, "height": 512, "steps": 1, "seed": 1,
                   "num_images": count},
        "outputs": [{"index": i, "key": k, "upload_url": s3.presign("PUT", k, content_type="image/png"),
                     "headers": {"content-type": "image/png"}} for i, k in enumerate(keys)],
        "callback": {"url": f"{receiver.url}/api/webhooks/generation/{job_id}", "secret": SECRET},
    }


def bare_put(s3: S3Server, session: requests.Session, data: bytes) -> float:
    key = f"bench/bare/{uuid.uuid4().hex}.png"
    url = s3.presign("PUT", key, content_type="image/png")
    start = time.perf_counter()
    session.put(url, data=data, headers={"content-type": "image/png"}, timeout=30).raise_for_status()
    return time.perf_counter() - start


def handler_delivery(s3, receiver, session, settings, data: bytes, count: int) -> list[float]:
    run = JobRun(parse_input(job_input(s3, receiver, count)), engine=None, session=session, settings=settings,
                 runpod_job={}, stop=JobStop())
    times = []
    for position in range(count):  # one delivery, timed on its own (the handler runs these on its delivery thread)
        start = time.perf_counter()
        run._deliver(position, lambda: data)
        times.append(time.perf_counter() - start)
    return times


def seed_style_webhook(receiver, session, data: bytes) -> tuple[int, float]:
    """A legacy per-image message: the bytes as base64 in the webhook body."""
    body = json.dumps({"job_id": "job_bench", "image_index": 0, "total_images": 1, "filename": "0.png",
                       "subfolder": "", "type": "output", "data": base64.b64encode(data).decode(),
                       "s3Key": None, "networkVolumePath": None, "fileSize": len(data), "format": "png"})
    start = time.perf_counter()
    session.post(f"{receiver.url}/seed", data=body, headers={"content-type": "application/json"}, timeout=30)
    return len(body), time.perf_counter() - start


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"{statistics.median(values) * 1000:.1f} / {p90 * 1000:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help=f"jobs of {PER_JOB} images per image kind")
    rounds = parser.parse_args().rounds
    settings = Settings(engine="cpu", retry=RetryPolicy(budget=5, base_delay=0.05))
    rows = []
    with S3Server() as s3, ScriptedServer(accept(202)) as receiver, requests.Session() as session:
        for name, data in image_kinds().items():
            bare_put(s3, session, data)  # warm the connection
            bare, delivered = [], []
            for _ in range(rounds):
                bare += [bare_put(s3, session, data) for _ in range(PER_JOB)]
                before = len(receiver.requests)
                delivered += handler_delivery(s3, receiver, session, settings, data, PER_JOB)
                webhooks = receiver.requests[before:]
            body = max(len(r.body) for r in webhooks)
            signed = max(len(r.body) + sum(len(k) + len(v) + 4 for k, v in r.headers.items() if k.startswith("webhook-"))
                         for r in webhooks)
            seed_bytes, _ = seed_style_webhook(receiver, session, data)
            overhead = statistics.median(delivered) - statistics.median(bare)
            rows.append(f"| {name} | {len(data):,} | {body:,} ({signed:,} signed) | {seed_bytes:,} | "
                        f"{ms(bare)} | {ms(delivered)} | {overhead * 1000:+.1f} |")
    print(f"GPU handler delivery: {rounds * PER_JOB} images per kind, s3rver and a webhook receiver on loopback\n")
    print("| image | image bytes | image webhook bytes | legacy webhook bytes (base64 inline) "
          "| bare PUT ms (median / p90) | delivery ms: PUT + metadata + signed webhook (median / p90) "
          "| delivery minus bare PUT (median ms) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
