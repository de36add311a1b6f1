"""The one small interface every engine implements."""
from dataclasses import dataclass
from typing import Protocol

from ..job_input import Params


@dataclass(frozen=True)
class GenerationRequest:
    job_id: str
    type: str  # "text-to-image" | "style-transfer"
    params: Params
    style_image: bytes | None = None
    content_image: bytes | None = None


class ImageSink(Protocol):
    def image(self, position: int, data: bytes) -> None:
        """Called as soon as image `position` (0 .. num_images-1) exists; it is delivered before this returns."""

    def progress(self, fraction: float, message: str | None = None) -> None:
        """How far generation is, 0.0 to 1.0."""


class Engine(Protocol):
    name: str

    def generate(self, request: GenerationRequest, sink: ImageSink) -> None:
        """Makes params.num_images images, handing each to the sink; raises EngineFailed on failure."""
