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
    comfy_checkpoint: str | None = None
    comfy_ready_timeout: float = 120.0
    comfy_idle_timeout: float = 300.0
    workflow_dir: Path = DEFAULT_WORKFLOW_DIR
    http_timeout: float = 30.0
    retry: RetryPolicy = RetryPolicy()
    progress_interval: float = 0.25
    max_input_bytes: int = 50 * 1024 * 1024

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        return cls(
            engine=env.get("EASEL_ENGINE", "comfyui").strip().lower(),
            comfy_host=env.get("COMFY_HOST", "127.0.0.1:8188"),
            comfy_checkpoint=env.get("EASEL_COMFY_CHECKPOINT") or None,
            comfy_ready_timeout=float(env.get("EASEL_COMFY_READY_TIMEOUT", "120")),
            comfy_idle_timeout=float(env.get("EASEL_COMFY_IDLE_TIMEOUT", "300")),
            workflow_dir=Path(env.get("EASEL_WORKFLOW_DIR") or DEFAULT_WORKFLOW_DIR),
            http_timeout=float(env.get("EASEL_HTTP_TIMEOUT", "30")),
            retry=RetryPolicy(
                attempts=int(env.get("EASEL_RETRY_ATTEMPTS", "5")),
                base_delay=float(env.get("EASEL_RETRY_BASE_SECONDS", "0.5")),
            ),
            progress_interval=float(env.get("EASEL_PROGRESS_INTERVAL", "0.25")),
        )


def schema_dir(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("EASEL_SCHEMA_DIR") or DEFAULT_SCHEMA_DIR)
