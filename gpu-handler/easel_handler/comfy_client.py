"""ComfyUI's own API, as its server speaks it: POST /prompt, /upload/image, GET /history, /view, and /ws."""
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import requests
import websocket

from .errors import EngineFailed


class ComfyClient:
    def __init__(self, host: str, session: requests.Session, http_timeout: float, idle_timeout: float):
        self.base = f"http://{host}"
        self.ws_url = f"ws://{host}/ws"
        self.session, self.http_timeout, self.idle_timeout = session, http_timeout, idle_timeout
        self.client_id = uuid.uuid4().hex

    def wait_until_ready(self, timeout: float) -> None:
        """ComfyUI starts beside the handler and may still be loading when the first job arrives."""
        deadline, last = time.monotonic() + timeout, "no answer"
        while True:
            try:
                response = self.session.get(f"{self.base}/prompt", timeout=2)
                # Its queue info, not a proxy's loading page, says ComfyUI itself is up.
                if response.status_code == 200 and "exec_info" in response.json():
                    return
                last = f"HTTP {response.status_code}"
            except (requests.RequestException, ValueError) as error:
                last = type(error).__name__
            if time.monotonic() >= deadline:
                raise EngineFailed(f"ComfyUI at {self.base} did not answer within {timeout:g} s ({last})")
            time.sleep(0.25)

    def upload_image(self, name: str, data: bytes) -> str:
        """Puts an input image where LoadImage finds it; returns the name LoadImage takes."""
        response = self._request("post", "/upload/image", files={"image": (name, data)},
                                 data={"overwrite": "true", "type": "input"})
        if response.status_code != 200:
            raise EngineFailed(f"ComfyUI refused the upload of {name}: HTTP {response.status_code}")
        body = response.json()
        return f"{body['subfolder']}/{body['name']}" if body.get("subfolder") else body["name"]

    def queue(self, prompt: dict[str, Any]) -> str:
        response = self._request("post", "/prompt", json={"prompt": prompt, "client_id": self.client_id})
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:300]}
        if response.status_code != 200:
            raise EngineFailed(f"ComfyUI rejected the workflow: {describe_rejection(body)}")
        if body.get("node_errors"):
            # ComfyUI queues the outputs that did validate; a job with a missing image is no use.
            self._request("post", "/queue", json={"delete": [body["prompt_id"]]})
            raise EngineFailed(f"ComfyUI rejected part of the workflow: {describe_rejection(body)}")
        return body["prompt_id"]

    def connect(self) -> websocket.WebSocket:
        try:
            return websocket.create_connection(f"{self.ws_url}?clientId={self.client_id}", timeout=self.idle_timeout)
        except (OSError, websocket.WebSocketException) as error:
            raise EngineFailed(f"cannot open ComfyUI's WebSocket at {self.ws_url}: {error}") from None

    def messages(self, ws: websocket.WebSocket, prompt_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """(type, data) of each JSON message about this prompt; binary preview frames are skipped."""
        while True:
            try:
                frame = ws.recv()
            except websocket.WebSocketTimeoutException:
                raise EngineFailed(f"ComfyUI sent nothing for {self.idle_timeout:g} s") from None
            except (OSError, websocket.WebSocketException) as error:
                raise EngineFailed(f"lost ComfyUI's WebSocket: {error or type(error).__name__}") from None
            if isinstance(frame, bytes):
                continue
            if not frame:
                raise EngineFailed("ComfyUI closed its WebSocket before the workflow finished")
            message = json.loads(frame)
            data = message.get("data") or {}
            if data.get("prompt_id", prompt_id) == prompt_id:
                yield message.get("type", ""), data

    def view(self, image: dict[str, Any]) -> bytes:
        params = {"filename": image["filename"], "subfolder": image.get("subfolder", ""), "type": image.get("type", "output")}
        response = self._request("get", "/view", params=params)
        if response.status_code != 200:
            raise EngineFailed(f"ComfyUI has no output {image['filename']}: HTTP {response.status_code}")
        return response.content

    def history(self, prompt_id: str, wait: float) -> dict[str, Any] | None:
        """The prompt's history entry; ComfyUI writes it just after it reports the end, so wait a little."""
        deadline = time.monotonic() + wait
        while True:
            entry = self._request("get", f"/history/{prompt_id}").json().get(prompt_id)
            if entry or time.monotonic() >= deadline:
                return entry
            time.sleep(0.1)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, f"{self.base}{path}", timeout=self.http_timeout, **kwargs)
        except requests.RequestException as error:
            raise EngineFailed(f"ComfyUI {method.upper()} {path} failed: {error}") from None


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
