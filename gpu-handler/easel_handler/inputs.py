"""The job's input images (style, content): from their presigned GETs, or from the mounted network volume."""
import requests

from . import images
from .errors import InputImageUnavailable
from .failure_text import describe_request_error, describe_response
from .retry import GaveUp, Patience, send_with_retries
from .volume import VolumeMount


def fetch_image(session: requests.Session, name: str, url: str, patience: Patience, max_bytes: int) -> bytes:
    """The image at url; InputImageUnavailable, naming the input, when it cannot be had or is no image."""
    try:
        response = send_with_retries(lambda timeout: session.get(url, timeout=timeout, stream=True), patience,
                                     f"fetching {name}")
    except GaveUp as error:
        raise InputImageUnavailable(str(error)) from None
    with response:
        if response.status_code != 200:
            raise InputImageUnavailable(f"fetching {name}: the store answered {describe_response(response)}")
        data = bytearray()
        try:
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise InputImageUnavailable(f"{name} is larger than {max_bytes} bytes")
        except requests.RequestException as error:
            raise InputImageUnavailable(f"fetching {name}: {describe_request_error(error)}") from None
    return _checked(name, bytes(data))


def read_from_volume(name: str, path: str, mount: VolumeMount, max_bytes: int) -> bytes:
    """The image at path (a path on the volume as the input names it), read from where the volume is mounted here."""
    local = mount.path_of_input(path)
    if local is None:
        raise InputImageUnavailable(f"{name}: {path} is not inside the network volume ({mount.announced})")
    try:
        if local.stat().st_size > max_bytes:
            raise InputImageUnavailable(f"{name} is larger than {max_bytes} bytes")
        data = local.read_bytes()
    except FileNotFoundError:
        raise InputImageUnavailable(f"{name}: no such file on the volume ({path})") from None
    except OSError as error:
        raise InputImageUnavailable(f"{name}: cannot be read from the volume ({path}: "
                                    f"{error.strerror or type(error).__name__})") from None
    return _checked(name, data)


def _checked(name: str, data: bytes) -> bytes:
    try:
        images.sniff(data)
    except ValueError as error:
        raise InputImageUnavailable(f"{name} {error}") from None
    return data
