"""Everything the handler reads from its environment, read in one place."""
import os
from dataclasses import dataclass
from pathlib import Path

from .retry import RetryPolicy

PACKAGE_DIR = Path(__file__).resolve().parent
# gpu-handler/easel_handler/ -> repo root; the Docker image sets EASEL_SCHEMA_DIR instead.
DEFAULT_SCHEMA_DIR = PACKAGE_DIR.parent.parent / "schema" / "json"
DEFAULT_WORKFLOW_DIR = PACKAGE_DIR / "workflows"


@dataclass(frozen=True)
class Settings:
    engine: str = "comfyui"
    comfy_host: str = "127.0.0.1:8188"
    comfy_dir: Path = Path("/comfyui")  # ComfyUI's own folder: its input/ and output/ are cleaned after each job
    comfy_checkpoint: str | None = None
    comfy_ready_timeout: float = 120.0
    comfy_silence_check: float = 30.0  # silence this long makes the handler ask ComfyUI's queue about its prompt
    comfy_reconnects: int = 5
    comfy_poll_interval: float = 2.0
    comfy_interrupt_wait: float = 10.0
    workflow_dir: Path = DEFAULT_WORKFLOW_DIR
    http_timeout: float = 30.0
    retry: RetryPolicy = RetryPolicy()
    deadline_margin: float = 30.0
    delivery_queue: int = 8
    progress_interval: float = 0.25
    max_input_bytes: int = 50 * 1024 * 1024
    volume_mount: Path | None = None  # where the network volume is mounted here; default: the input's mount_path
    refresh_worker: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        number = lambda name, default: float(env.get(name) or default)  # noqa: E731
        return cls(
            engine=env.get("EASEL_ENGINE", "comfyui").strip().lower(),
            comfy_host=env.get("COMFY_HOST", "127.0.0.1:8188"),
            comfy_dir=Path(env.get("EASEL_COMFY_DIR") or "/comfyui"),
            comfy_checkpoint=env.get("EASEL_COMFY_CHECKPOINT") or None,
            comfy_ready_timeout=number("EASEL_COMFY_READY_TIMEOUT", 120),
            comfy_silence_check=number("EASEL_COMFY_SILENCE_CHECK_SECONDS", 30),
            comfy_reconnects=int(env.get("EASEL_COMFY_RECONNECTS") or 5),
            workflow_dir=Path(env.get("EASEL_WORKFLOW_DIR") or DEFAULT_WORKFLOW_DIR),
            http_timeout=number("EASEL_HTTP_TIMEOUT", 30),
            retry=RetryPolicy(
                budget=number("EASEL_RETRY_BUDGET_SECONDS", 300),
                base_delay=number("EASEL_RETRY_BASE_SECONDS", 0.5),
                max_delay=number("EASEL_RETRY_MAX_DELAY_SECONDS", 10),
            ),
            deadline_margin=number("EASEL_DEADLINE_MARGIN_SECONDS", 30),
            delivery_queue=int(env.get("EASEL_DELIVERY_QUEUE") or 8),
            progress_interval=number("EASEL_PROGRESS_INTERVAL", 0.25),
            volume_mount=Path(env["EASEL_VOLUME_MOUNT"]) if env.get("EASEL_VOLUME_MOUNT") else None,
            refresh_worker=env.get("REFRESH_WORKER", "").strip().lower() in ("1", "true", "yes"),
        )


def schema_dir(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("EASEL_SCHEMA_DIR") or DEFAULT_SCHEMA_DIR)
