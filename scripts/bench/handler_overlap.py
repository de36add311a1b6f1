"""Delivery overlapping generation in the GPU handler: N images, serial vs overlapped, against N x generation.

An engine that takes a fixed time per image (defined here, a test engine) runs through the real handler (JobRun,
its delivery thread, presigned PUTs to s3rver, signed webhooks) while the store and the Worker each answer after a
fixed delay. "serial" makes the engine wait until each image is delivered before it makes the next (what delivery on
the generation path costs); "overlapped" is the handler as it is. Prints a markdown table; writes the figures as JSON.

    gpu-handler/.venv/bin/python scripts/bench/handler_overlap.py [--images 8] [--generation 0.4] [--delay 0.15] [--json PATH]
"""
import argparse
import base64
import io
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

HANDLER_DIR = Path(__file__).resolve().parents[2] / "gpu-handler"
sys.path.insert(0, str(HANDLER_DIR))

from PIL import Image  # noqa: E402

from easel_handler.job_runner import handle  # noqa: E402
from easel_handler.settings import Settings  # noqa: E402
from tests.support.s3 import S3Server  # noqa: E402
from tests.support.scripted_http import ScriptedServer, accept, forward_to  # noqa: E402

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


class FixedTimeEngine:
    """Makes each image in exactly `seconds`; with `wait_for` it holds the next image until the last one is delivered."""
    name, needs_refresh = "fixed-time", False

    def __init__(self, seconds: float, image: bytes, wait_for=None):
        self.seconds, self.image, self.wait_for = seconds, image, wait_for

    def generate(self, request, sink, stop):
        for position in range(request.params.num_images):
            if stop.wait(self.seconds):
                stop.check()
            sink.image(position, lambda: self.image)
            if self.wait_for:
                self.wait_for(position)

    def clean_up(self, request):
        pass


def slowly(respond, delay: float):
    def answer(record):
        time.sleep(delay)
        return respond(record)
    return answer


def job(s3: S3Server, store_url: str, worker: ScriptedServer, count: int) -> dict:
    job_id = f"job_bench_{uuid.uuid4().hex[:12]}"
    keys = [f"jobs/own_bench/{job_id}/{i}.png" for i in range(count)]
    return {"id": f"rp-{job_id}", "input": {
        "contract": 1, "job_id": job_id, "type": "text-to-image",
        "params": {"prompt": "bench", "negative_prompt": "", "width": 512, "height": 512, "steps": 1, "seed": 1,
                   "num_images": count},
        "outputs": [{"index": i, "key": k, "upload_url": s3.presign("PUT", k, content_type="image/png", endpoint=store_url),
                     "headers": {"content-type": "image/png"}} for i, k in enumerate(keys)],
        "callback": {"url": f"{worker.url}/api/webhooks/generation/{job_id}", "secret": SECRET}}}


def run(s3, store, worker, count: int, generation: float, image: bytes, serial: bool) -> float:
    announced = threading.Condition()

    def delivered(position: int) -> None:
        with announced:
            announced.wait_for(lambda: sum(1 for r in worker.requests[start_index:]
                                           if json.loads(r.body).get("type") == "image") > position, timeout=60)

    start_index = len(worker.requests)
    engine = FixedTimeEngine(generation, image, delivered if serial else None)
    settings = Settings(engine="fixed-time", progress_interval=3600)
    poke = threading.Event()

    def notify_loop():  # wakes `delivered` as webhooks arrive
        while not poke.is_set():
            with announced:
                announced.notify_all()
            time.sleep(0.005)

    watcher = threading.Thread(target=notify_loop, daemon=True)
    watcher.start()
    begin = time.perf_counter()
    result = handle(job(s3, store.url, worker, count), settings, engine)
    elapsed = time.perf_counter() - begin
    poke.set()
    if "error" in result:
        raise SystemExit(f"bench job failed: {result['error']}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--generation", type=float, default=0.4, help="seconds the engine takes per image")
    parser.add_argument("--delay", type=float, default=0.15, help="seconds the store and the Worker each take to answer")
    parser.add_argument("--json", type=Path, help="where to write the figures")
    args = parser.parse_args()
    picture = io.BytesIO()
    Image.new("RGB", (512, 512), (90, 120, 200)).save(picture, format="PNG")
    with S3Server() as s3, ScriptedServer(slowly(forward_to(s3.port), args.delay)) as store, \
            ScriptedServer(slowly(accept(202), args.delay)) as worker:
        serial = run(s3, store, worker, args.images, args.generation, picture.getvalue(), serial=True)
        overlapped = run(s3, store, worker, args.images, args.generation, picture.getvalue(), serial=False)
    floor = args.images * args.generation
    figures = {"images": args.images, "generation_s": args.generation, "store_and_worker_delay_s": args.delay,
               "n_x_generation_s": round(floor, 3), "serial_s": round(serial, 3), "overlapped_s": round(overlapped, 3),
               "serial_ratio": round(serial / floor, 3), "overlapped_ratio": round(overlapped / floor, 3)}
    print(f"GPU handler: {args.images} images at {args.generation:g} s each; the store and the Worker each answer after "
          f"{args.delay:g} s (s3rver and a webhook receiver on loopback)\n")
    print("| mode | total s | N x generation s | ratio to N x generation |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| serial (each image delivered before the next is made) | {serial:.2f} | {floor:.2f} | {serial / floor:.2f} |")
    print(f"| overlapped (the handler's delivery thread) | {overlapped:.2f} | {floor:.2f} | {overlapped / floor:.2f} |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
