"""HTTP failures in words a client can read: no Python repr, no URL query, the server's own message kept."""
import json
import re
from urllib.parse import urlsplit

import requests

from .redaction import redact

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def describe_request_error(error: requests.RequestException) -> str:
    """A failed request, e.g. `could not connect to 127.0.0.1:9000 (connection refused)`."""
    host = _host(error)
    if isinstance(error, requests.ConnectTimeout):
        return f"timed out connecting to {host}"
    if isinstance(error, requests.ReadTimeout):
        return f"{host} did not answer in time"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return f"the connection to {host} broke mid-answer"
    if isinstance(error, requests.ConnectionError):
        reason = _ERRNO.search(str(error))
        if reason:
            return f"could not connect to {host} ({reason.group(1).strip().lower()})"
        if "RemoteDisconnected" in str(error) or "Connection aborted" in str(error):
            return f"{host} closed the connection without answering"
        return f"could not reach {host}"
    return f"the request to {host} failed ({type(error).__name__})"


def describe_response(response: requests.Response) -> str:
    """`HTTP 503 (SlowDown: Please reduce your request rate)`: the status and the server's own error, if it gave one."""
    detail = _server_message(response)
    return f"HTTP {response.status_code}{f' ({detail})' if detail else ''}"


def _server_message(response: requests.Response) -> str:
    try:
        text = response.text[:2000]
    except Exception:  # a body that cannot be decoded says nothing more than the status
        return ""
    code, message = re.search(r"<Code>([^<]*)</Code>", text), re.search(r"<Message>([^<]*)</Message>", text)
    if code or message:
        return redact(": ".join(m.group(1) for m in (code, message) if m))
    try:
        body = json.loads(text)
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return redact(": ".join(str(error[k]) for k in ("code", "message") if error.get(k)))
    return redact(str(error))[:300] if error else ""


def _host(error: requests.RequestException) -> str:
    url = getattr(error.request, "url", None) if error.request is not None else None
    return urlsplit(url).netloc if url else "the server"
