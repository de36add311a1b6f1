"""Engines by name (EASEL_ENGINE): `comfyui` on a GPU worker, `cpu` for local runs and tests."""
from ..errors import JobFailed
from ..settings import Settings
from .base import Engine, GenerationRequest, ImageSink

__all__ = ["Engine", "GenerationRequest", "ImageSink", "create_engine"]


def create_engine(settings: Settings) -> Engine:
    if settings.engine == "cpu":
        from .cpu import CpuEngine

        return CpuEngine()
    if settings.engine == "comfyui":
        from .comfyui import ComfyUIEngine

        return ComfyUIEngine(settings)
    raise JobFailed(f"EASEL_ENGINE={settings.engine!r} is not an engine this handler has (cpu, comfyui)")
