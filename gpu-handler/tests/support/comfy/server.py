"""The stand-in's HTTP and WebSocket server (ComfyUI's server.py routes) and its prompt worker (main.py
prompt_worker), on a thread of its own, with real input and output folders on disk."""
import asyncio
import contextlib
import itertools
import json
import posixpath
import shutil
import struct
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from .execution import Execution
from .node_types import node_types
from .prompt_queue import PromptQueue
from .script import Script
from .validation import validate_prompt


class ComfyStandIn:
    def __init__(self, script: Script | None = None, *, checkpoints: tuple[str, ...] = ("sd_xl_base_1.0.safetensors",)):
        self.script, self.checkpoints = script or Script(), list(checkpoints)
        self.base_dir = Path(tempfile.mkdtemp(prefix="comfy-standin-"))
        self.input_dir, self.output_dir = self.base_dir / "input", self.base_dir / "output"
        self.input_dir.mkdir()
        self.output_dir.mkdir()
        self.queue = PromptQueue()
        self.prompts: list[dict[str, Any]] = []
        self.calls: list[tuple[str, Any]] = []  # (route, what it was asked), for the tests
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.file_counter = itertools.count(1)
        self.interrupt_flag = False
        self.refusing_sockets = False
        self.last_node_id: str | None = None
        self.executing_client: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> "ComfyStandIn":
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @contextlib.contextmanager
    def paused(self):
        """The prompt worker takes nothing new while paused: what is queued meanwhile stays pending."""
        self._call(self.gate.clear)
        try:
            yield
        finally:
            self._call(self.gate.set)

    def files(self, folder: str) -> list[str]:
        root = self.base_dir / folder
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def _call(self, function) -> None:
        self.loop.call_soon_threadsafe(function)

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.wake, self.gate = asyncio.Event(), asyncio.Event()
        self.gate.set()
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.add_routes([
            web.get("/ws", self._websocket), web.get("/prompt", self._queue_info), web.post("/prompt", self._post_prompt),
            web.get("/queue", self._get_queue), web.post("/queue", self._post_queue),
            web.post("/interrupt", self._interrupt), web.post("/upload/image", self._upload),
            web.get("/history/{prompt_id}", self._history), web.get("/view", self._view),
        ])
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.worker = self.loop.create_task(self._prompt_worker())
        ready.set()
        self.loop.run_forever()

    async def _shutdown(self) -> None:
        self.worker.cancel()
        await asyncio.gather(self.worker, return_exceptions=True)
        await self.runner.cleanup()

    # -- HTTP ------------------------------------------------------------------------------------
    def types(self) -> dict[str, dict]:
        return node_types(self.checkpoints, self.files("input"))

    def _queue_status(self) -> dict[str, Any]:
        return {"exec_info": {"queue_remaining": self.queue.remaining()}}

    async def _queue_info(self, request: web.Request) -> web.Response:
        return web.json_response(self._queue_status())

    async def _post_prompt(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.prompts.append(body)
        if "prompt" not in body:
            return web.json_response({"error": "no prompt", "node_errors": []}, status=400)
        valid, error, outputs, node_errors = validate_prompt(body["prompt"], self.types())
        if not valid:
            return web.json_response({"error": error, "node_errors": node_errors}, status=400)
        prompt_id, number = str(uuid.uuid4()), len(self.prompts)
        extra = {**body.get("extra_data", {}), "client_id": body.get("client_id")}
        self.queue.put((number, prompt_id, body["prompt"], extra, outputs))
        self.wake.set()
        return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

    async def _get_queue(self, request: web.Request) -> web.Response:
        self.calls.append(("GET /queue", None))
        return web.json_response(self.queue.current())

    async def _post_queue(self, request: web.Request) -> web.Response:
        body = await request.json()
        for prompt_id in body.get("delete", []):
            self.calls.append(("POST /queue delete", prompt_id))
            self.queue.delete_pending(prompt_id)
        return web.Response(status=200)

    async def _interrupt(self, request: web.Request) -> web.Response:
        """Current ComfyUI: with a prompt_id, only that prompt is interrupted, and only if it runs; without, whatever runs."""
        try:
            body = await request.json()
        except json.JSONDecodeError:
            body = {}
        prompt_id = body.get("prompt_id")
        self.calls.append(("POST /interrupt", prompt_id))
        if prompt_id is None or prompt_id in self.queue.running_ids():
            self.interrupt_flag = True
        return web.Response(status=200)

    async def _upload(self, request: web.Request) -> web.Response:
        post = await request.post()
        image = post.get("image")
        if image is None or not getattr(image, "filename", None):
            return web.Response(status=400)
        subfolder, name = post.get("subfolder", ""), image.filename
        folder = self.input_dir / subfolder
        folder.mkdir(parents=True, exist_ok=True)
        if post.get("overwrite") not in ("true", "1"):
            stem, ext = posixpath.splitext(name)
            for i in itertools.count(1):
                if not (folder / name).exists():
                    break
                name = f"{stem} ({i}){ext}"
        (folder / name).write_bytes(image.file.read())
        return web.json_response({"name": name, "subfolder": subfolder, "type": post.get("type") or "input"})

    async def _history(self, request: web.Request) -> web.Response:
        prompt_id = request.match_info["prompt_id"]
        entry = self.queue.history.get(prompt_id)
        return web.json_response({prompt_id: entry} if entry else {})

    async def _view(self, request: web.Request) -> web.Response:
        query = request.rel_url.query
        filename, subfolder = query.get("filename", ""), query.get("subfolder", "")
        if not filename or filename.startswith("/") or ".." in filename or ".." in subfolder:
            return web.Response(status=400)
        folder = {"output": self.output_dir, "input": self.input_dir}.get(query.get("type", "output"))
        path = folder / subfolder / filename if folder else None
        if path is None or not path.is_file():
            return web.Response(status=404)
        self.calls.append(("GET /view", filename))
        return web.Response(body=path.read_bytes(), content_type="image/png")

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        if self.refusing_sockets:
            return web.Response(status=503, text="WebSocket refused by the test script")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.rel_url.query.get("clientId") or uuid.uuid4().hex
        self.sockets[sid] = ws
        try:
            await self.send("status", {"status": self._queue_status(), "sid": sid}, sid)
            if self.executing_client == sid and self.last_node_id is not None:  # server.py: resumes a reconnect
                await self.send("executing", {"node": self.last_node_id}, sid)
            async for message in ws:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            if self.sockets.get(sid) is ws:
                self.sockets.pop(sid)
        return ws

    async def send(self, event: str | int, data: Any, sid: str | None) -> None:
        """To that client only (a client gone misses it, as send_socket_catch_exception lets it); None: everyone."""
        targets = [self.sockets[sid]] if sid in self.sockets else ([] if sid else list(self.sockets.values()))
        for ws in targets:
            try:
                if isinstance(data, bytes):
                    await ws.send_bytes(struct.pack(">I", event) + data)
                else:
                    await ws.send_json({"type": event, "data": data})
            except (ConnectionError, RuntimeError):
                pass

    async def drop_socket(self, sid: str | None) -> None:
        ws = self.sockets.pop(sid, None) if sid else None
        self.calls.append(("socket dropped", sid))
        if self.script.refuse_sockets:
            self.refusing_sockets = True
        if ws is not None:
            await ws.close()

    async def sleep(self, scripted_seconds: float) -> None:
        await asyncio.sleep(scripted_seconds * self.script.time_scale)

    # -- the prompt worker (main.py prompt_worker) -------------------------------------------------
    async def _prompt_worker(self) -> None:
        while True:
            await self.gate.wait()
            taken = self.queue.take()
            if taken is None:
                self.wake.clear()
                await self.wake.wait()
                continue
            item, task = taken
            execution = Execution(self, item)
            self.executing_client = execution.client
            status = await execution.run()
            await asyncio.sleep(0.05)  # main.py writes the history only after execute() has returned
            self.queue.done(task, execution.ui, status)
            self.last_node_id = None
            await self.send("executing", {"node": None, "prompt_id": execution.prompt_id}, execution.client)
            await self.send("status", {"status": self._queue_status()}, None)
