"""What the contract says about an image: size, type, dimensions, sha256; and re-encoding to the asked type."""
import hashlib
import io
from typing import Any

from PIL import Image

CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
FORMATS = {content_type: fmt for fmt, content_type in CONTENT_TYPES.items()}


def sniff(data: bytes) -> tuple[str | None, int, int]:
    """(content type or None when not a contract type, width, height); ValueError, in words, when not an image."""
    if not data:
        raise ValueError("is empty, not an image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            return CONTENT_TYPES.get(image.format or ""), image.width, image.height
    except Exception:
        # Pillow's own message is a repr of its buffer; what a client needs is what was expected.
        raise ValueError(f"is not an image Pillow can read ({len(data)} bytes; PNG, JPEG or WebP expected)") from None


def encode_as(data: bytes, content_type: str) -> bytes:
    """The same picture in content_type (PNG when the type is not one the contract allows)."""
    fmt = FORMATS.get(content_type, "PNG")
    with Image.open(io.BytesIO(data)) as image:
        if fmt == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, format=fmt)
        return out.getvalue()


def metadata(index: int, key: str, data: bytes) -> dict[str, Any]:
    content_type, width, height = sniff(data)
    return {
        "index": index,
        "key": key,
        "size": len(data),
        "content_type": content_type or "image/png",
        "width": width,
        "height": height,
        "sha256": hashlib.sha256(data).hexdigest(),
    }
