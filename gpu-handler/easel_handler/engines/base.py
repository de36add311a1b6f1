"""The one small interface every engine implements."""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ..job_input import Params
from ..stop import JobStop


@dataclass(frozen=True)
class GenerationRequest:
    job_id: str
    type: str  # "text-to-image" | "style-transfer"
    params: Params
    style_image: bytes | None = None
    content_image: bytes | None = None


class ImageSink(Protocol):
    def image(self, position: int, load: Callable[[], bytes]) -> None:
        """Image `position` (0 .. num_images-1) exists; load() returns its bytes and runs on the delivery thread, so
        this returns at once and the engine goes on."""

    def progress(self, fraction: float, message: str | None = None) -> None:
        """How far generation is, 0.0 to 1.0; never blocks."""


class Engine(Protocol):
    name: str
    needs_refresh: bool  # the engine could not leave the worker clean (a prompt it could not stop, files left)

    def generate(self, request: GenerationRequest, sink: ImageSink, stop: JobStop) -> None:
        """Makes params.num_images images, handing each to the sink; raises EngineFailed on failure and JobStopped
        (after stopping its own work) once `stop` is set."""

    def clean_up(self, request: GenerationRequest) -> None:
        """Removes what the job left behind (inputs, outputs); called after the last delivery, success or not."""
