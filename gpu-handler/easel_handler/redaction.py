"""What may leave the handler in words: URL queries (presigned signatures, tokens) and secrets cut out."""
import re
from urllib.parse import urlsplit, urlunsplit

# A query string (`?name=value...`) after a URL or a bare path: presigned URLs and callback tokens live there.
_QUERY = re.compile(r"\?[A-Za-z0-9_.~%-]+=[^\s'\"<>)\]]*")
_PARAMETER = re.compile(r"(?i)\b(token|signature|x-amz-[a-z0-9-]+|awsaccesskeyid)=[^&\s'\"<>)\]]+")
_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


def redact(text: str) -> str:
    """text with every URL query and webhook secret replaced by `…`; the rest stays readable."""
    text = _QUERY.sub("?…", text)
    text = _PARAMETER.sub(lambda match: f"{match.group(1)}=…", text)
    return _SECRET.sub("whsec_…", text)


def without_query(url: str) -> str:
    """The URL as it may be logged: scheme, host and path, no query or fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
