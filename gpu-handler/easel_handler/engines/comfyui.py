"""The GPU engine: the job's workflow on the local ComfyUI, each image handed on when its SaveImage finishes; any
early end takes the prompt back from ComfyUI, and the job's files are deleted afterwards."""
import re
import time
from typing import Any

import requests

from .. import images
from ..comfy_client import PENDING, RUNNING, ComfyClient, describe_execution_error, describe_rejection
from ..comfy_files import OUTPUT_SUBFOLDER, ComfyFiles
from ..comfy_watch import PromptWatch
from ..errors import EngineFailed, JobFailed
from ..log import get_logger
from ..settings import Settings
from ..stop import JobStop
from ..workflow import build_workflow, load_template
from .base import GenerationRequest, ImageSink

log = get_logger(__name__)


def file_prefix(job_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", job_id)


class ComfyUIEngine:
    name = "comfyui"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.needs_refresh = False
        self.uploaded: list[str] = []

    def generate(self, request: GenerationRequest, sink: ImageSink, stop: JobStop) -> None:
        settings = self.settings
        with requests.Session() as session:
            client = ComfyClient(settings.comfy_host, session, settings.http_timeout)
            client.wait_until_ready(settings.comfy_ready_timeout, stop)
            prefix = file_prefix(request.job_id)
            workflow = build_workflow(
                load_template(settings.workflow_dir, request.type), request.type, request.params,
                prefix=f"{OUTPUT_SUBFOLDER}/{prefix}", uploads=self._upload_inputs(client, request, prefix),
                checkpoint=settings.comfy_checkpoint,
            )
            watch = PromptWatch(client, stop, silence_check=settings.comfy_silence_check,
                                reconnects=settings.comfy_reconnects, poll_interval=settings.comfy_poll_interval)
            watch.connect()
            prompt_id = None
            try:
                stop.check()
                prompt_id, node_errors = client.queue(workflow.prompt)
                if node_errors:
                    raise EngineFailed(f"ComfyUI rejected part of the workflow: "
                                       f"{describe_rejection({'node_errors': node_errors})}")
                run = _Run(client, prompt_id, workflow.save_nodes, request.params.num_images, sink)
                watch.follow(prompt_id, run.on_message)
                run.reconcile()
            except JobFailed:
                if prompt_id is not None:
                    self._take_back(client, prompt_id)
                raise
            finally:
                watch.close()

    def clean_up(self, request: GenerationRequest) -> None:
        if not ComfyFiles(self.settings.comfy_dir).remove(file_prefix(request.job_id), self.uploaded):
            self.needs_refresh = True

    def _upload_inputs(self, client: ComfyClient, request: GenerationRequest, prefix: str) -> dict[str, str]:
        if request.type != "style-transfer":
            return {}
        uploads = {}
        for role, data in (("easel.content_image", request.content_image), ("easel.style_image", request.style_image)):
            if data is None:
                raise EngineFailed(f"style-transfer needs {role}")
            extension = (images.sniff(data)[0] or "image/png").split("/")[1]
            uploads[role] = client.upload_image(f"easel_{prefix}_{role.split('.')[1]}.{extension}", data)
            self.uploaded.append(uploads[role])
        return uploads

    def _take_back(self, client: ComfyClient, prompt_id: str) -> None:
        """Stops the prompt and waits until ComfyUI says it no longer runs; a worker that cannot stop it is refreshed."""
        try:
            client.take_back(prompt_id)
            until = time.monotonic() + self.settings.comfy_interrupt_wait
            while (state := client.state_of(prompt_id)) in (PENDING, RUNNING):
                if time.monotonic() >= until:
                    log.error("ComfyUI still has prompt %s %s after the interrupt; the worker will be refreshed",
                              prompt_id, state)
                    self.needs_refresh = True
                    return
                time.sleep(0.1)
        except EngineFailed as error:
            log.error("could not take prompt %s back from ComfyUI (%s); the worker will be refreshed", prompt_id, error)
            self.needs_refresh = True


def _raise_if_failed(kind: str, data: dict[str, Any]) -> None:
    """A run's end that is not a success, whether heard on the WebSocket or read from the history."""
    if kind == "execution_error":
        raise EngineFailed(describe_execution_error(data))
    if kind == "execution_interrupted":
        raise EngineFailed(f"ComfyUI's run was interrupted at node {data.get('node_id')} ({data.get('node_type')})")


class _Run:
    """One queued prompt's messages: progress to the sink, each saved image handed on as soon as it exists."""

    def __init__(self, client: ComfyClient, prompt_id: str, save_nodes: dict[str, int], count: int, sink: ImageSink):
        self.client, self.prompt_id, self.save_nodes, self.count, self.sink = client, prompt_id, save_nodes, count, sink
        self.collected: set[tuple[str, str]] = set()
        self.positions: set[int] = set()

    def on_message(self, kind: str, data: dict[str, Any]) -> bool:
        if kind == "progress" and data.get("max"):
            step = data["value"] / data["max"]
            self.sink.progress((len(self.positions) + step) / self.count, f"sampling {data['value']}/{data['max']}")
        elif kind == "executed":
            self._collect(str(data.get("node")), data.get("output") or {})
        else:
            _raise_if_failed(kind, data)
        return kind == "execution_success" or (kind == "executing" and data.get("node") is None)

    def reconcile(self) -> None:
        """Outputs whose `executed` message never came (a dropped socket, a frame lost) are read from the history,
        which ComfyUI writes just after it reports the end."""
        entry = self._history()
        for kind, data in (entry.get("status") or {}).get("messages", []):
            _raise_if_failed(kind, data)
        for node_id, output in (entry.get("outputs") or {}).items():
            self._collect(str(node_id), output)

    def _history(self) -> dict[str, Any]:
        until = time.monotonic() + 10
        while (entry := self.client.history(self.prompt_id)) is None and time.monotonic() < until:
            time.sleep(0.1)
        return entry or {}

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
        self.sink.image(position, lambda: self.client.view(image))
