"""A faithful stand-in for ComfyUI's server (server.py, execution.py, main.py's prompt worker).

Same routes, message types, payload shapes and order: POST /prompt validates like validate_prompt and
answers {prompt_id, number, node_errors} or 400 {error, node_errors}; the worker sends, to the prompt's
client_id, execution_start, execution_cached, then per node executing / progress (and a binary preview
frame) / executed, then execution_success or execution_error, writes the history, and last sends
executing with node None. Nodes run instantly and draw plain images instead of sampling.
"""
import asyncio
import io
import itertools
import posixpath
import struct
import threading
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web
from PIL import Image

from .comfy_nodes import node_types
from .comfy_validation import validate_prompt

PREVIEW_IMAGE = 1


class ComfyStandIn:
    def __init__(self, *, fail_in: str | None = None, drop_executed_for: tuple[str, ...] = (),
                 hold_until_collected: bool = False, checkpoints: tuple[str, ...] = ("sd_xl_base_1.0.safetensors",),
                 sends_success: bool = True):
        """fail_in: a node id or class_type that raises when run; sends_success=False is ComfyUI before
        execution_success existed, whose only end signal is `executing` with node None."""
        self.fail_in, self.drop_executed_for, self.sends_success = fail_in, set(drop_executed_for), sends_success
        self.hold_until_collected, self.checkpoints = hold_until_collected, list(checkpoints)
        self.inputs: dict[str, bytes] = {}
        self.outputs: dict[tuple[str, str], bytes] = {}
        self.prompts: list[dict[str, Any]] = []
        self.history: dict[str, dict[str, Any]] = {}
        self.timeline: list[tuple[str, str]] = []
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.counter = itertools.count(1)
        self.viewed: dict[str, asyncio.Event] = {}

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

    async def _shutdown(self) -> None:
        self.worker.cancel()
        await asyncio.gather(self.worker, return_exceptions=True)
        await self.runner.cleanup()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue: asyncio.Queue = asyncio.Queue()
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.add_routes([
            web.get("/ws", self._websocket), web.get("/prompt", self._queue_info), web.post("/prompt", self._post_prompt),
            web.post("/queue", self._post_queue), web.post("/upload/image", self._upload),
            web.get("/history/{prompt_id}", self._history), web.get("/view", self._view),
        ])
        self.runner = web.AppRunner(app)
        self.loop.run_until_complete(self.runner.setup())
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self.worker = self.loop.create_task(self._worker())
        ready.set()
        self.loop.run_forever()

    # -- HTTP ------------------------------------------------------------------------------------
    def _types(self) -> dict[str, dict]:
        return node_types(self.checkpoints, list(self.inputs))

    async def _queue_info(self, request: web.Request) -> web.Response:
        return web.json_response({"exec_info": {"queue_remaining": self.queue.qsize()}})

    async def _post_prompt(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.prompts.append(body)
        if "prompt" not in body:
            return web.json_response({"error": "no prompt", "node_errors": []}, status=400)
        valid, error, outputs, node_errors = validate_prompt(body["prompt"], self._types())
        if not valid:
            return web.json_response({"error": error, "node_errors": node_errors}, status=400)
        prompt_id, number = str(uuid.uuid4()), next(self.counter)
        extra = {**body.get("extra_data", {}), "client_id": body.get("client_id")}
        await self.queue.put((number, prompt_id, body["prompt"], extra, outputs))
        await self._broadcast_status()
        return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

    async def _post_queue(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.timeline.append(("queue_delete", ",".join(body.get("delete", []))))
        return web.Response(status=200)

    async def _upload(self, request: web.Request) -> web.Response:
        post = await request.post()
        image = post.get("image")
        if image is None or not getattr(image, "filename", None):
            return web.Response(status=400)
        subfolder, name = post.get("subfolder", ""), image.filename
        if post.get("overwrite") not in ("true", "1"):
            stem, ext = posixpath.splitext(name)
            for i in itertools.count(1):
                if posixpath.join(subfolder, name) not in self.inputs:
                    break
                name = f"{stem} ({i}){ext}"
        self.inputs[posixpath.join(subfolder, name)] = image.file.read()
        self.timeline.append(("upload", name))
        return web.json_response({"name": name, "subfolder": subfolder, "type": post.get("type") or "input"})

    async def _history(self, request: web.Request) -> web.Response:
        prompt_id = request.match_info["prompt_id"]
        return web.json_response({prompt_id: self.history[prompt_id]} if prompt_id in self.history else {})

    async def _view(self, request: web.Request) -> web.Response:
        query = request.rel_url.query
        filename, subfolder = query.get("filename", ""), query.get("subfolder", "")
        if not filename or filename.startswith("/") or ".." in filename:
            return web.Response(status=400)
        data = self.outputs.get((subfolder, filename)) if query.get("type", "output") == "output" else None
        if data is None:
            return web.Response(status=404)
        self.timeline.append(("view", filename))
        self.viewed.setdefault(filename, asyncio.Event()).set()
        return web.Response(body=data, content_type="image/png")

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.rel_url.query.get("clientId") or uuid.uuid4().hex
        self.sockets[sid] = ws
        try:
            await self._send("status", {"status": {"exec_info": {"queue_remaining": self.queue.qsize()}}, "sid": sid}, sid)
            async for message in ws:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            self.sockets.pop(sid, None)
        return ws

    async def _send(self, event: str | int, data: Any, sid: str | None) -> None:
        targets = [self.sockets[sid]] if sid in self.sockets else ([] if sid else list(self.sockets.values()))
        for ws in targets:
            try:  # as ComfyUI's send_socket_catch_exception: a client gone is not the worker's problem
                if isinstance(data, bytes):
                    await ws.send_bytes(struct.pack(">I", event) + data)
                else:
                    await ws.send_json({"type": event, "data": data})
            except (ConnectionError, RuntimeError):
                pass

    async def _broadcast_status(self) -> None:
        await self._send("status", {"status": {"exec_info": {"queue_remaining": self.queue.qsize()}}}, None)

    # -- the prompt worker ------------------------------------------------------------------------
    async def _worker(self) -> None:
        while True:
            item = await self.queue.get()
            await _Execution(self, *item).run()
            await self._broadcast_status()


class _Execution:
    """One prompt run, in ComfyUI's order of messages; node outputs are small Python stand-ins."""

    def __init__(self, server: ComfyStandIn, number: int, prompt_id: str, prompt: dict, extra: dict, outputs: list[str]):
        self.server, self.number, self.prompt_id, self.prompt = server, number, prompt_id, prompt
        self.extra, self.output_ids, self.client = extra, outputs, extra.get("client_id")
        self.results: dict[str, tuple] = {}
        self.ui: dict[str, dict] = {}
        self.messages: list[list] = []

    async def message(self, event: str, data: dict, keep: bool = True) -> None:
        data = {**data, "prompt_id": self.prompt_id}
        if keep:
            data["timestamp"] = int(time.time() * 1000)
            self.messages.append([event, data])
        self.server.timeline.append((event, str(data.get("node", data.get("node_id", "")))))
        await self.server._send(event, data, self.client)

    async def run(self) -> None:
        await self.message("execution_start", {})
        await self.message("execution_cached", {"nodes": []})
        success = True
        try:
            for output_id in self.output_ids:
                await self.execute(output_id)
        except _NodeFailed as failure:
            success = False
            await self.message("execution_error", failure.details(self.prompt_id, list(self.results)))
        if success and self.server.sends_success:
            await self.message("execution_success", {})
        await asyncio.sleep(0.05)  # ComfyUI writes the history only after execute() has returned
        self.server.history[self.prompt_id] = {
            "prompt": [self.number, self.prompt_id, self.prompt, self.extra, self.output_ids],
            "outputs": {node_id: ui for node_id, ui in self.ui.items()},
            "status": {"status_str": "success" if success else "error", "completed": success, "messages": self.messages},
            "meta": {n: {"node_id": n, "display_node": n, "parent_node": None, "real_node_id": n} for n in self.ui},
        }
        await self.message("executing", {"node": None}, keep=False)

    async def execute(self, node_id: str) -> tuple:
        if node_id in self.results:
            return self.results[node_id]
        node = self.prompt[node_id]
        inputs = {}
        for name, value in node["inputs"].items():
            inputs[name] = (await self.execute(value[0]))[value[1]] if isinstance(value, list) else value
        await self.message("executing", {"node": node_id, "display_node": node_id}, keep=False)
        if self.server.fail_in in (node_id, node["class_type"]):
            raise _NodeFailed(node_id, node["class_type"], inputs)
        result = await getattr(self, f"node_{node['class_type']}")(node_id, **inputs)
        self.results[node_id] = result
        return result

    async def node_CheckpointLoaderSimple(self, node_id, ckpt_name):
        return ("model", "clip", "vae")

    async def node_CLIPTextEncode(self, node_id, text, clip):
        return ({"text": text},)

    async def node_EmptyLatentImage(self, node_id, width, height, batch_size):
        return ({"width": width // 8 * 8, "height": height // 8 * 8, "batch": batch_size, "seed": 0},)

    async def node_LoadImage(self, node_id, image):
        with Image.open(io.BytesIO(self.server.inputs[image])) as picture:
            return ({"width": picture.width, "height": picture.height, "batch": 1, "seed": 0}, "mask")

    async def node_ImageScale(self, node_id, image, upscale_method, width, height, crop):
        return ({**image, "width": width or image["width"], "height": height or image["height"]},)

    async def node_VAEEncode(self, node_id, pixels, vae):
        return (dict(pixels),)

    async def node_LatentBlend(self, node_id, samples1, samples2, blend_factor):
        return (dict(samples1),)

    async def node_KSampler(self, node_id, model, seed, steps, cfg, sampler_name, scheduler, positive, negative,
                            latent_image, denoise):
        for value in range(1, steps + 1):
            await self.message("progress", {"value": value, "max": steps, "node": node_id}, keep=False)
            if value == 1:
                await self.server._send(PREVIEW_IMAGE, struct.pack(">I", 2) + _png(8, 8, seed), self.client)
        return ({**latent_image, "seed": seed},)

    async def node_VAEDecode(self, node_id, samples, vae):
        return (dict(samples),)

    async def node_SaveImage(self, node_id, images, filename_prefix):
        subfolder, prefix = posixpath.split(filename_prefix)
        saved = []
        for i in range(images["batch"]):
            filename = f"{prefix}_{next(self.server.counter):05}_.png"
            self.server.outputs[(subfolder, filename)] = _png(images["width"], images["height"], images["seed"] + i)
            saved.append({"filename": filename, "subfolder": subfolder, "type": "output"})
        self.ui[node_id] = {"images": saved}
        if node_id not in self.server.drop_executed_for:
            await self.message("executed", {"node": node_id, "display_node": node_id, "output": {"images": saved}}, keep=False)
        if self.server.hold_until_collected:
            await self._wait_for_views(saved)
        return ()

    async def _wait_for_views(self, saved: list[dict]) -> None:
        for image in saved:
            event = self.server.viewed.setdefault(image["filename"], asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), 5)
            except asyncio.TimeoutError:
                self.server.timeline.append(("not_collected", image["filename"]))


class _NodeFailed(Exception):
    def __init__(self, node_id: str, class_type: str, inputs: dict):
        super().__init__(node_id)
        self.node_id, self.class_type, self.inputs = node_id, class_type, inputs

    def details(self, prompt_id: str, executed: list[str]) -> dict:
        return {
            "prompt_id": prompt_id, "node_id": self.node_id, "node_type": self.class_type, "executed": executed,
            "exception_message": "Allocation on device: out of memory\n", "exception_type": "torch.OutOfMemoryError",
            "traceback": ['  File "execution.py", line 1, in execute\n'],
            "current_inputs": {k: [str(v)] for k, v in self.inputs.items()}, "current_outputs": executed,
        }


def _png(width: int, height: int, seed: int) -> bytes:
    colour = (seed * 97 % 256, seed * 57 % 256, seed * 31 % 256)
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()
