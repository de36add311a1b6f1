"""The cpu engine makes real images: deterministic text-to-image, colour-statistics style transfer."""
import io

import pytest
from PIL import Image, ImageStat

from easel_handler import images
from easel_handler.job_input import Params
from easel_handler.engines.base import GenerationRequest
from easel_handler.engines.cpu import CpuEngine
from easel_handler.errors import EngineFailed
from tests.conftest import png
from easel_handler.stop import JobStop
from tests.recording_sink import RecordingSink


def run(job_type="text-to-image", num_images=2, seed=42, prompt="a lighthouse", strength=None, style=None, content=None):
    sink = RecordingSink()
    params = Params(prompt, "", 160, 96, 4, seed, num_images, strength)
    CpuEngine().generate(GenerationRequest("job_1", job_type, params, style, content), sink, JobStop())
    return sink


def mean(data: bytes) -> list[float]:
    with Image.open(io.BytesIO(data)) as image:
        return ImageStat.Stat(image.convert("RGB")).mean


def test_text_to_image_makes_num_images_pngs_of_the_asked_size_in_order():
    sink = run(num_images=3)
    assert sink.order == [0, 1, 2]
    assert {images.sniff(d) for d in sink.images.values()} == {("image/png", 160, 96)}
    assert sink.progress_values == pytest.approx([1 / 3, 2 / 3, 1])


def test_text_to_image_is_deterministic_in_prompt_and_seed():
    assert run().images == run().images
    assert run(seed=43).images[0] != run().images[0]
    assert run(prompt="a forest").images[0] != run().images[0]
    assert run().images[0] != run().images[1]


def test_style_transfer_moves_the_style_colours_onto_the_content():
    style, content = png(64, 64, (20, 40, 220)), png(64, 64, (220, 200, 30))
    out = run("style-transfer", num_images=1, strength=1.0, style=style, content=content).images[0]
    assert images.sniff(out) == ("image/png", 160, 96)
    assert mean(out) == pytest.approx(mean(style), abs=12)


def test_style_strength_zero_keeps_the_content():
    style, content = png(64, 64, (20, 40, 220)), png(64, 64, (220, 200, 30))
    out = run("style-transfer", num_images=1, strength=0.0, style=style, content=content).images[0]
    assert mean(out) == pytest.approx(mean(content), abs=1)


def test_style_transfer_without_its_images_fails_clearly():
    with pytest.raises(EngineFailed, match="content and a style image"):
        run("style-transfer", num_images=1)
