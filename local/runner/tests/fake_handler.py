"""A handler for the runner's tests: what it does is chosen by the job's input."""
import urllib.request


def handler(job):
    action = job["input"].get("action")
    if action == "echo":
        return {"echo": job["input"].get("value"), "id": job["id"]}
    if action == "error":
        return {"error": "the handler said no"}
    if action == "raise":
        raise ValueError("the handler blew up")
    if action == "upload":
        # Two PUTs, like two image uploads: the runner's test hooks act on the second.
        for url in job["input"]["urls"]:
            urllib.request.urlopen(urllib.request.Request(url, data=b"image", method="PUT")).read()
        return {"uploaded": len(job["input"]["urls"])}
    raise AssertionError(f"unknown action {action!r}")
