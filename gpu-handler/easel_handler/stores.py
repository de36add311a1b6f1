"""Putting one image where the job said: a presigned PUT, or a file on the mounted network volume."""
import os
import tempfile

import requests
from requests.structures import CaseInsensitiveDict

from . import images
from .errors import EngineFailed, UploadFailed
from .failure_text import describe_response
from .job_input import OutputTarget
from .retry import GaveUp, Patience, send_with_retries
from .volume import VolumeMount


def prepare(target: OutputTarget, data: bytes) -> tuple[bytes, str]:
    """The bytes to store and their type: the type the Worker presigned for, when it named one."""
    try:
        actual, _, _ = images.sniff(data)
    except ValueError as error:
        raise EngineFailed(f"image {target.index} from the engine {error}") from None
    wanted = CaseInsensitiveDict(target.headers).get("content-type")
    if wanted in images.FORMATS and wanted != actual:
        return images.encode_as(data, wanted), wanted
    if actual is None:
        return images.encode_as(data, "image/png"), "image/png"
    return data, actual


class PresignedStore:
    def __init__(self, session: requests.Session, patience: Patience):
        self.session, self.patience = session, patience

    def put(self, target: OutputTarget, data: bytes, content_type: str) -> None:
        headers = CaseInsensitiveDict({"Content-Type": content_type})
        headers.update(target.headers)
        what = f"upload of image {target.index} to the bucket"
        try:
            response = send_with_retries(
                lambda timeout: self.session.put(target.upload_url, data=data, headers=dict(headers), timeout=timeout),
                self.patience, what)
        except GaveUp as error:
            raise UploadFailed(str(error)) from None
        if response.status_code >= 300:
            raise UploadFailed(f"{what}: the store refused it with {describe_response(response)}")


class VolumeStore:
    """Network-volume mode: the store cannot presign, so the handler writes onto the mounted volume."""

    def __init__(self, mount: VolumeMount):
        self.mount = mount

    def put(self, target: OutputTarget, data: bytes, content_type: str) -> None:
        path = self.mount.path_of_key(target.key)
        if path is None:
            raise UploadFailed(f"image {target.index}: its key {target.key} leaves the network volume")
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
            raise UploadFailed(f"writing image {target.index} to the network volume at {target.key}: "
                               f"{error.strerror or type(error).__name__}") from None
