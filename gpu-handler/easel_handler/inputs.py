"""Fetching the job's input images (style, content) from their presigned GETs."""
import requests

from . import images
from .errors import InputImageUnavailable
from .retry import GaveUp, RetryPolicy, send_with_retries


def fetch_image(session: requests.Session, name: str, url: str, policy: RetryPolicy, timeout: float, max_bytes: int) -> bytes:
    """The image at url; InputImageUnavailable, naming the input, when it cannot be had or is no image."""
    try:
        response = send_with_retries(lambda: session.get(url, timeout=timeout, stream=True), policy, f"fetching {name}")
    except GaveUp as error:
        raise InputImageUnavailable(str(error)) from None
    with response:
        if response.status_code != 200:
            raise InputImageUnavailable(f"fetching {name}: HTTP {response.status_code} {response.reason}")
        data = bytearray()
        try:
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise InputImageUnavailable(f"{name} is larger than {max_bytes} bytes")
        except requests.RequestException as error:
            raise InputImageUnavailable(f"fetching {name}: {error}") from None
    try:
        images.sniff(bytes(data))
    except ValueError as error:
        raise InputImageUnavailable(f"{name}: {error}") from None
    return bytes(data)
