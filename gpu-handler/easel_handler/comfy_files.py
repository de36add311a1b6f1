"""A job's files in ComfyUI's input and output folders, deleted when the job ends so a warm worker stays clean."""
from pathlib import Path

from .log import get_logger

log = get_logger(__name__)

OUTPUT_SUBFOLDER = "easel"  # SaveImage prefixes are easel/{job prefix}_{n}, so outputs land in output/easel/


class ComfyFiles:
    def __init__(self, comfy_dir: Path):
        self.input_dir, self.output_dir = comfy_dir / "input", comfy_dir / "output"

    def remove(self, prefix: str, input_names: list[str]) -> bool:
        """Deletes the job's uploaded inputs and every output named after its prefix; returns whether all went."""
        if not self.input_dir.is_dir() and not self.output_dir.is_dir():
            log.warning("no ComfyUI folders at %s: set EASEL_COMFY_DIR to ComfyUI's folder to clean up after jobs",
                        self.input_dir.parent)
            return True
        paths = [self.input_dir / name for name in input_names]
        paths += list((self.output_dir / OUTPUT_SUBFOLDER).glob(f"{prefix}_*"))
        clean = True
        for path in paths:
            if self.input_dir not in path.resolve().parents and self.output_dir not in path.resolve().parents:
                continue
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                log.warning("could not delete %s: %s", path, error.strerror or type(error).__name__)
                clean = False
        return clean
