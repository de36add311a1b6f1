"""ComfyUI's own HTTP API, as its server.py speaks it: /prompt, /queue, /interrupt, /history, /view, /upload/image."""
import time
import uuid
from typing import Any

import requests

from .errors import EngineFailed
from .failure_text import describe_request_error
from .stop import JobStop

PENDING, RUNNING, DONE, UNKNOWN = "pending", "running", "done", "unknown"


class ComfyClient:
    def __init__(self, host: str, session: requests.Session, http_timeout: float):
        self.base = f"http://{host}"
        self.ws_url = f"ws://{host}/ws"
        self.session, self.http_timeout = session, http_timeout
        self.client_id = uuid.uuid4().hex

    def answers(self) -> bool:
        """ComfyUI itself is up: GET /prompt gives its queue info (a proxy's loading page does not)."""
        try:
            response = self.session.get(f"{self.base}/prompt", timeout=2)
            return response.status_code == 200 and "exec_info" in response.json()
        except (requests.RequestException, ValueError):
            return False

    def wait_until_ready(self, timeout: float, stop: JobStop) -> None:
        """ComfyUI starts beside the handler and may still be loading when the first job arrives."""
        deadline = time.monotonic() + timeout
        while not self.answers():
            if time.monotonic() >= deadline:
                raise EngineFailed(f"ComfyUI at {self.base} did not answer within {timeout:g} s")
            if stop.wait(0.25):
                stop.check()

    def upload_image(self, name: str, data: bytes) -> str:
        """Puts an input image where LoadImage finds it; returns the name LoadImage takes."""
        response = self._request("post", "/upload/image", files={"image": (name, data)},
                                 data={"overwrite": "true", "type": "input"})
        if response.status_code != 200:
            raise EngineFailed(f"ComfyUI refused the upload of {name}: HTTP {response.status_code}")
        body = response.json()
        return f"{body['subfolder']}/{body['name']}" if body.get("subfolder") else body["name"]

    def queue(self, prompt: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Queues the prompt: (prompt_id, node_errors). ComfyUI queues a prompt whose other outputs validated even when
        some did not, so a prompt id can come back with errors."""
        response = self._request("post", "/prompt", json={"prompt": prompt, "client_id": self.client_id})
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:300]}
        if response.status_code != 200:
            raise EngineFailed(f"ComfyUI rejected the workflow: {describe_rejection(body)}")
        return body["prompt_id"], body.get("node_errors") or {}

    def state_of(self, prompt_id: str) -> str:
        """Where the prompt is: pending or running in ComfyUI's queue, done (in its history), or unknown to it."""
        queue = self._request("get", "/queue").json()
        if any(item[1] == prompt_id for item in queue.get("queue_running", [])):
            return RUNNING
        if any(item[1] == prompt_id for item in queue.get("queue_pending", [])):
            return PENDING
        return DONE if self.history(prompt_id) else UNKNOWN

    def take_back(self, prompt_id: str) -> None:
        """Stops the prompt wherever it is: removed from the pending queue (POST /queue only deletes pending items) and
        interrupted if it runs (current ComfyUI interrupts only the prompt named; older versions whatever runs)."""
        self._request("post", "/queue", json={"delete": [prompt_id]})
        self._request("post", "/interrupt", json={"prompt_id": prompt_id})

    def history(self, prompt_id: str) -> dict[str, Any] | None:
        return self._request("get", f"/history/{prompt_id}").json().get(prompt_id)

    def view(self, image: dict[str, Any]) -> bytes:
        """An output's bytes; runs on the delivery thread, so it keeps no session of the engine's."""
        params = {"filename": image["filename"], "subfolder": image.get("subfolder", ""), "type": image.get("type", "output")}
        try:
            response = requests.get(f"{self.base}/view", params=params, timeout=self.http_timeout)
        except requests.RequestException as error:
            raise EngineFailed(f"fetching output {image['filename']} from ComfyUI: {describe_request_error(error)}") from None
        if response.status_code != 200:
            raise EngineFailed(f"ComfyUI has no output {image['filename']}: HTTP {response.status_code}")
        return response.content

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, f"{self.base}{path}", timeout=self.http_timeout, **kwargs)
        except requests.RequestException as error:
            raise EngineFailed(f"ComfyUI {method.upper()} {path} failed: {describe_request_error(error)}") from None


def describe_rejection(body: dict[str, Any]) -> str:
    """ComfyUI's validation answer ({error, node_errors}) as one readable line."""
    error = body.get("error")
    parts = [f"{error.get('message', '')}".strip() if isinstance(error, dict) else str(error or "")]
    for node_id, node in (body.get("node_errors") or {}).items():
        for problem in node.get("errors", []):
            parts.append(f"node {node_id} ({node.get('class_type', '?')}): {problem.get('message')}: {problem.get('details')}")
    if isinstance(error, dict) and error.get("details") and len(parts) == 1:
        parts.append(str(error["details"]))
    return "; ".join(part for part in parts if part) or "no reason given"


def describe_execution_error(data: dict[str, Any]) -> str:
    message = str(data.get("exception_message", "")).strip()
    return (f"ComfyUI failed in node {data.get('node_id')} ({data.get('node_type')}): "
            f"{data.get('exception_type', 'error')}: {message}")
