"""Putting one image where the job said: a presigned PUT, or a file on the mounted network volume."""
import os
import re
import tempfile
from pathlib import Path

import requests
from requests.structures import CaseInsensitiveDict

from . import images
from .job_input import OutputTarget
from .errors import UploadFailed
from .retry import GaveUp, RetryPolicy, send_with_retries


def prepare(target: OutputTarget, data: bytes) -> tuple[bytes, str]:
    """The bytes to store and their type: the type the Worker presigned for, when it named one."""
    actual, _, _ = images.sniff(data)
    wanted = CaseInsensitiveDict(target.headers).get("content-type")
    if wanted in images.FORMATS and wanted != actual:
        return images.encode_as(data, wanted), wanted
    if actual is None:
        return images.encode_as(data, "image/png"), "image/png"
    return data, actual


class PresignedStore:
    def __init__(self, session: requests.Session, policy: RetryPolicy, timeout: float):
        self.session, self.policy, self.timeout = session, policy, timeout

    def put(self, target: OutputTarget, data: bytes, content_type: str) -> None:
        headers = CaseInsensitiveDict({"Content-Type": content_type})
        headers.update(target.headers)
        what = f"upload of output {target.index} ({target.key})"
        try:
            response = send_with_retries(
                lambda: self.session.put(target.upload_url, data=data, headers=dict(headers), timeout=self.timeout),
                self.policy,
                what,
            )
        except GaveUp as error:
            raise UploadFailed(str(error)) from None
        if response.status_code >= 300:
            raise UploadFailed(f"{what}: the store refused it with HTTP {response.status_code}{_s3_error(response.text)}")


def _s3_error(body: str) -> str:
    code = re.search(r"<Code>([^<]*)</Code>", body or "")
    message = re.search(r"<Message>([^<]*)</Message>", body or "")
    parts = [m.group(1) for m in (code, message) if m]
    return f" ({': '.join(parts)})" if parts else ""


class VolumeStore:
    """Network-volume mode: the store cannot presign, so the handler writes onto the mounted volume."""

    def __init__(self, mount_path: str):
        self.root = Path(mount_path).resolve()

    def path_of(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise UploadFailed(f"output key {key!r} leaves the volume {self.root}")
        return path

    def put(self, target: OutputTarget, data: bytes, content_type: str) -> None:
        path = self.path_of(target.key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed, so the Worker's HEAD never sees half an image under the key.
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except OSError as error:
            raise UploadFailed(f"writing output {target.index} to {path}: {error}") from None
