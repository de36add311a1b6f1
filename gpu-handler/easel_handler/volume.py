"""The network volume as mounted on this machine: paths named in the input, and output keys, mapped onto it."""
from pathlib import Path, PurePosixPath


class VolumeMount:
    """`announced` is the mount path the Worker wrote into the input (network_volume.mount_path); `local` is where that
    volume is mounted here (EASEL_VOLUME_MOUNT, by default the same path)."""

    def __init__(self, announced: str, local: Path | None = None):
        self.announced = PurePosixPath(announced)
        self.root = Path(local or announced).resolve()

    def path_of_input(self, path: str) -> Path | None:
        """The local file for a path in the input, or None when it lies outside the volume."""
        try:
            relative = PurePosixPath(path).relative_to(self.announced)
        except ValueError:
            return None
        return self._inside(str(relative))

    def path_of_key(self, key: str) -> Path | None:
        """Where the object `key` lives on the volume (`{mount}/{key}`), or None when the key would leave it."""
        return self._inside(key)

    def _inside(self, relative: str) -> Path | None:
        path = (self.root / relative).resolve()
        return path if self.root in path.parents else None
