"""Following one prompt to its end, whatever its WebSocket does: silence is judged against ComfyUI's queue, a dropped
socket is reopened (after checking ComfyUI's HTTP server answers), and after that polling /history takes over."""
import json
import time
from collections.abc import Callable
from typing import Any

import websocket

from .comfy_client import DONE, UNKNOWN, ComfyClient
from .errors import EngineFailed
from .log import get_logger
from .stop import JobStop

log = get_logger(__name__)

TICK = 1.0  # seconds one WebSocket read waits, so a stop is noticed within about that long
OnMessage = Callable[[str, dict[str, Any]], bool]  # (type, data) -> whether the prompt has ended


class PromptWatch:
    def __init__(self, client: ComfyClient, stop: JobStop, *, silence_check: float, reconnects: int,
                 poll_interval: float, tick: float = TICK):
        self.client, self.stop = client, stop
        self.silence_check, self.reconnects, self.poll_interval = silence_check, reconnects, poll_interval
        self.tick = min(tick, silence_check)
        self.ws: websocket.WebSocket | None = None

    def connect(self) -> None:
        """Opened before the prompt is queued, so no early message is missed."""
        try:
            self.ws = self._open()
        except (OSError, websocket.WebSocketException) as error:
            raise EngineFailed(f"cannot open ComfyUI's WebSocket at {self.client.ws_url}: "
                               f"{error or type(error).__name__}") from None

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None

    def follow(self, prompt_id: str, on_message: OnMessage) -> None:
        """Returns when the prompt has ended (on_message said so, or ComfyUI's history has it); raises JobStopped once
        the job stops, EngineFailed when ComfyUI fails it or loses it."""
        heard = time.monotonic()
        while True:
            self.stop.check()
            if self.ws is None:
                if self._ended(prompt_id):
                    return
                self.stop.wait(self.poll_interval)
                continue
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                if time.monotonic() - heard >= self.silence_check:
                    if self._ended(prompt_id):
                        return
                    heard = time.monotonic()
                continue
            except (OSError, websocket.WebSocketException) as error:
                frame = None
                log.warning("ComfyUI's WebSocket dropped (%s); reconnecting", error or type(error).__name__)
            if not frame:  # closed: reopen it, then make sure the end did not pass while it was down
                self.ws = self._reconnect()
                if self._ended(prompt_id):
                    return
                heard = time.monotonic()
                continue
            heard = time.monotonic()
            if isinstance(frame, bytes):  # binary preview frames
                continue
            message = json.loads(frame)
            data = message.get("data") or {}
            if data.get("prompt_id", prompt_id) == prompt_id and on_message(message.get("type", ""), data):
                return

    def _ended(self, prompt_id: str) -> bool:
        """Asks ComfyUI's queue: still pending or running means keep waiting, however long it has been silent."""
        state = self.client.state_of(prompt_id)
        if state == UNKNOWN:
            raise EngineFailed(f"ComfyUI no longer has prompt {prompt_id} in its queue or its history (did it restart?)")
        if state != DONE:
            log.info("ComfyUI is quiet; prompt %s is %s", prompt_id, state)
        return state == DONE

    def _reconnect(self) -> websocket.WebSocket | None:
        """A new socket (same client id, so ComfyUI sends this prompt's messages to it), or None: polling takes over."""
        for attempt in range(1, self.reconnects + 1):
            self.stop.check()
            if not self.client.answers():
                log.warning("ComfyUI's HTTP server does not answer (attempt %d of %d)", attempt, self.reconnects)
            else:
                try:
                    return self._open()
                except (OSError, websocket.WebSocketException) as error:
                    log.warning("reopening ComfyUI's WebSocket failed (%s)", error or type(error).__name__)
            self.stop.wait(min(3.0, self.poll_interval * attempt))
        if not self.client.answers():
            raise EngineFailed("ComfyUI stopped answering: its WebSocket dropped and its HTTP server does not answer")
        log.warning("ComfyUI's WebSocket cannot be reopened; following the prompt through /queue and /history")
        return None

    def _open(self) -> websocket.WebSocket:
        return websocket.create_connection(f"{self.client.ws_url}?clientId={self.client.client_id}", timeout=self.tick)
