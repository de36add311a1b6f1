"""A stand-in for ComfyUI's server, small and split by concern; BEHAVIOURS.md lists what it reproduces and from where."""
from .script import Script
from .server import ComfyStandIn

__all__ = ["ComfyStandIn", "Script"]
