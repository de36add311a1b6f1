"""Real images without a GPU: for local runs and tests, through the same delivery path as ComfyUI."""
import hashlib
import io
import random

from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageOps, ImageStat

from ..errors import EngineFailed
from ..stop import JobStop
from .base import GenerationRequest, ImageSink

_SRGB = ImageCms.createProfile("sRGB")
_LAB = ImageCms.createProfile("LAB")
_TO_LAB = ImageCms.buildTransform(_SRGB, _LAB, "RGB", "LAB")
_FROM_LAB = ImageCms.buildTransform(_LAB, _SRGB, "LAB", "RGB")


class CpuEngine:
    name = "cpu"
    needs_refresh = False

    def generate(self, request: GenerationRequest, sink: ImageSink, stop: JobStop) -> None:
        count = request.params.num_images
        for position in range(count):
            stop.check()
            if request.type == "text-to-image":
                picture = text_to_image(request.params.prompt, request.params.seed + position,
                                        request.params.width, request.params.height)
            elif request.type == "style-transfer":
                picture = style_transfer(request.content_image, request.style_image, request.params.width,
                                         request.params.height, _strength(request.params.strength, position))
            else:
                raise EngineFailed(f"the cpu engine cannot run job type {request.type!r}")
            sink.progress((position + 1) / count, f"image {position + 1} of {count}")
            data = _png(picture)
            sink.image(position, lambda data=data: data)

    def clean_up(self, request: GenerationRequest) -> None:
        """Nothing to clean: the cpu engine keeps its images in memory only."""


def _strength(strength: float | None, position: int) -> float:
    # Each extra image leans a little further toward the style, so num_images > 1 gives distinct images.
    return min(1.0, (0.6 if strength is None else strength) + 0.1 * position)


def text_to_image(prompt: str, seed: int, width: int, height: int) -> Image.Image:
    """A deterministic picture: the same prompt and seed always give the same pixels."""
    rng = random.Random(hashlib.sha256(f"{seed}\0{prompt}".encode()).digest())
    top, bottom = _colour(rng), _colour(rng)
    picture = Image.linear_gradient("L").resize((width, height))
    picture = ImageOps.colorize(picture, black=top, white=bottom)
    draw = ImageDraw.Draw(picture, "RGBA")
    for _ in range(8 + len(prompt.split())):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randrange(max(4, min(width, height) // 16), max(8, min(width, height) // 3))
        shape = draw.ellipse if rng.random() < 0.6 else draw.rectangle
        shape((x - radius, y - radius, x + radius, y + radius), fill=_colour(rng) + (rng.randrange(60, 200),))
    return picture.filter(ImageFilter.GaussianBlur(radius=max(1, min(width, height) // 256)))


def _colour(rng: random.Random) -> tuple[int, int, int]:
    return rng.randrange(256), rng.randrange(256), rng.randrange(256)


def style_transfer(content: bytes | None, style: bytes | None, width: int, height: int, strength: float) -> Image.Image:
    """Reinhard colour transfer in Lab: the content's shapes with the style's colour statistics."""
    if content is None or style is None:
        raise EngineFailed("style-transfer needs both a content and a style image")
    content_image = ImageOps.fit(_rgb(content), (width, height))
    content_lab = ImageCms.applyTransform(content_image, _TO_LAB)
    style_lab = ImageCms.applyTransform(_rgb(style), _TO_LAB)
    source, target = ImageStat.Stat(content_lab), ImageStat.Stat(style_lab)
    bands = [
        band.point(_transfer_table(source.mean[i], source.stddev[i], target.mean[i], target.stddev[i]))
        for i, band in enumerate(content_lab.split())
    ]
    transferred = ImageCms.applyTransform(Image.merge("LAB", bands), _FROM_LAB)
    return Image.blend(content_image, transferred, max(0.0, min(1.0, strength)))


def _transfer_table(mean: float, std: float, target_mean: float, target_std: float) -> list[int]:
    scale = target_std / std if std > 1e-6 else 1.0
    return [max(0, min(255, round((value - mean) * scale + target_mean))) for value in range(256)]


def _rgb(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def _png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()
