"""A handler for the runner's tests: what it does is chosen by the job's input.

Each import appends `pid RUNPOD_POD_ID` to the file named by FAKE_HANDLER_IMPORT_LOG, so a test
can count the handler processes a runner started and tell which one ran a job.
"""
import os
import urllib.request

IMPORT_LOG = os.environ.get("FAKE_HANDLER_IMPORT_LOG")
if IMPORT_LOG:
    with open(IMPORT_LOG, "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {os.environ.get('RUNPOD_POD_ID')}\n")

ENVIRONMENT = ("EASEL_ENGINE", "EASEL_VOLUME_MOUNT", "RUNPOD_POD_ID")


def handler(job):
    action = job["input"].get("action")
    if action == "echo":
        return {"echo": job["input"].get("value"), "id": job["id"], "pid": os.getpid()}
    if action == "env":
        return {name: os.environ.get(name) for name in ENVIRONMENT}
    if action == "refresh":
        return {"pid": os.getpid(), "refresh_worker": True}
    if action == "error":
        return {"error": "the handler said no"}
    if action == "raise":
        raise ValueError("the handler blew up")
    if action == "upload":
        # PUTs, like image uploads: the runner's test hooks act on a job's second.
        for url in job["input"]["urls"]:
            urllib.request.urlopen(urllib.request.Request(url, data=b"image", method="PUT")).read()
        return {"uploaded": len(job["input"]["urls"]), "pid": os.getpid()}
    raise AssertionError(f"unknown action {action!r}")
