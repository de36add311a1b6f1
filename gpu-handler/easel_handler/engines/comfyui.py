"""The GPU engine: the job's workflow on the local ComfyUI, each image collected when its node finishes."""
import re
from typing import Any

import requests

from .. import images
from ..comfy_client import ComfyClient, describe_execution_error
from ..errors import EngineFailed
from ..settings import Settings
from ..workflow import build_workflow, load_template
from .base import GenerationRequest, ImageSink

HISTORY_WAIT = 10.0


class ComfyUIEngine:
    name = "comfyui"

    def __init__(self, settings: Settings):
        self.settings = settings

    def generate(self, request: GenerationRequest, sink: ImageSink) -> None:
        with requests.Session() as session:
            client = ComfyClient(self.settings.comfy_host, session, self.settings.http_timeout,
                                 self.settings.comfy_idle_timeout)
            client.wait_until_ready(self.settings.comfy_ready_timeout)
            prefix = re.sub(r"[^A-Za-z0-9_-]", "_", request.job_id)
            workflow = build_workflow(
                load_template(self.settings.workflow_dir, request.type), request.type, request.params,
                prefix=f"easel/{prefix}", uploads=self._upload_inputs(client, request, prefix),
                checkpoint=self.settings.comfy_checkpoint,
            )
            ws = client.connect()
            try:
                prompt_id = client.queue(workflow.prompt)
                _Run(client, prompt_id, workflow.save_nodes, request.params.num_images, sink).follow(ws)
            finally:
                ws.close()

    def _upload_inputs(self, client: ComfyClient, request: GenerationRequest, prefix: str) -> dict[str, str]:
        if request.type != "style-transfer":
            return {}
        uploads = {}
        for role, data in (("easel.content_image", request.content_image), ("easel.style_image", request.style_image)):
            if data is None:
                raise EngineFailed(f"style-transfer needs {role}")
            extension = (images.sniff(data)[0] or "image/png").split("/")[1]
            uploads[role] = client.upload_image(f"easel_{prefix}_{role.split('.')[1]}.{extension}", data)
        return uploads


class _Run:
    """Follows one queued prompt on the WebSocket, handing each saved image to the sink at once."""

    def __init__(self, client: ComfyClient, prompt_id: str, save_nodes: dict[str, int], count: int, sink: ImageSink):
        self.client, self.prompt_id, self.save_nodes, self.count, self.sink = client, prompt_id, save_nodes, count, sink
        self.collected: set[tuple[str, str]] = set()
        self.positions: set[int] = set()

    def follow(self, ws) -> None:
        for kind, data in self.client.messages(ws, self.prompt_id):
            if kind == "progress" and data.get("max"):
                step = data["value"] / data["max"]
                self.sink.progress((len(self.positions) + step) / self.count, f"sampling {data['value']}/{data['max']}")
            elif kind == "executed":
                self._collect(str(data.get("node")), data.get("output") or {})
            elif kind == "execution_error":
                raise EngineFailed(describe_execution_error(data))
            elif kind == "execution_interrupted":
                raise EngineFailed(f"ComfyUI's run was interrupted at node {data.get('node_id')} ({data.get('node_type')})")
            elif kind == "execution_success" or (kind == "executing" and data.get("node") is None):
                break
        if len(self.positions) < self.count:
            self._reconcile()

    def _reconcile(self) -> None:
        """Outputs whose `executed` message never came (a dropped socket frame) are read from the history."""
        entry = self.client.history(self.prompt_id, HISTORY_WAIT) or {}
        for kind, data in (entry.get("status") or {}).get("messages", []):
            if kind == "execution_error":
                raise EngineFailed(describe_execution_error(data))
        for node_id, output in (entry.get("outputs") or {}).items():
            self._collect(str(node_id), output)

    def _collect(self, node_id: str, output: dict[str, Any]) -> None:
        saved = [image for image in output.get("images", []) if image.get("type") == "output"]
        if node_id not in self.save_nodes or not saved:
            return
        if len(saved) > 1:
            raise EngineFailed(f"ComfyUI node {node_id} saved {len(saved)} images; the workflow must save one per chain")
        image = saved[0]
        name = (image.get("subfolder", ""), image["filename"])
        if name in self.collected:
            return
        self.collected.add(name)
        position = self.save_nodes[node_id]
        self.positions.add(position)
        self.sink.image(position, self.client.view(image))
