"""Input images: from presigned GETs (retried on 5xx) or from the network volume; refused with the input's name."""
import os

import pytest
import requests

from easel_handler.errors import InputImageUnavailable
from easel_handler.inputs import fetch_image, read_from_volume
from easel_handler.volume import VolumeMount
from tests.conftest import fast_patience, png


def fetch(url, max_bytes=10_000_000):
    with requests.Session() as session:
        return fetch_image(session, "inputs.style_image_url", url, fast_patience(), max_bytes)


def test_fetches_through_a_presigned_get(s3):
    s3.put("uploads/own_test/in.png", png(30, 20))
    assert fetch(s3.presign("GET", "uploads/own_test/in.png")) == png(30, 20)


def test_retries_a_5xx(s3, s3_proxy):
    s3.put("uploads/own_test/in.png", png())
    s3_proxy.fail_next(500)
    assert fetch(s3.presign("GET", "uploads/own_test/in.png", endpoint=s3_proxy.url)) == png()
    assert len(s3_proxy.requests) == 2


def test_names_the_input_that_failed_and_the_store_s_reason_without_the_url(s3):
    with pytest.raises(InputImageUnavailable) as failure:
        fetch(s3.presign("GET", "uploads/own_test/missing.png"))
    assert str(failure.value) == ("fetching inputs.style_image_url: the store answered "
                                  "HTTP 404 (NoSuchKey: The specified key does not exist.)")


def test_refuses_what_is_not_an_image_in_words(s3):
    s3.put("uploads/own_test/text.png", b"hello", content_type="image/png")
    with pytest.raises(InputImageUnavailable) as failure:
        fetch(s3.presign("GET", "uploads/own_test/text.png"))
    assert str(failure.value) == \
        "inputs.style_image_url is not an image Pillow can read (5 bytes; PNG, JPEG or WebP expected)"


def test_refuses_an_oversized_input(s3):
    s3.put("uploads/own_test/big.png", png(400, 400))
    with pytest.raises(InputImageUnavailable, match="larger than 100 bytes"):
        fetch(s3.presign("GET", "uploads/own_test/big.png"), max_bytes=100)


def test_a_store_that_is_gone_is_described_in_words():
    with pytest.raises(InputImageUnavailable) as failure:
        fetch("http://127.0.0.1:9/bucket/in.png?X-Amz-Signature=abc123&X-Amz-Credential=key")
    message = str(failure.value)
    assert message.startswith("fetching inputs.style_image_url: gave up after ")
    assert message.endswith("(last: could not connect to 127.0.0.1:9 (connection refused))")
    assert "abc123" not in message and "X-Amz" not in message


@pytest.fixture
def volume(tmp_path):
    """The volume mounted here at tmp_path/local, announced in the input as /runpod-volume."""
    (tmp_path / "local" / "uploads").mkdir(parents=True)
    return VolumeMount("/runpod-volume", tmp_path / "local")


def read(volume, path):
    return read_from_volume("inputs.style_image_path", path, volume, 10_000_000)


def test_reads_an_input_from_where_the_volume_is_mounted_here(volume):
    (volume.root / "uploads" / "in.png").write_bytes(png(30, 20))
    assert read(volume, "/runpod-volume/uploads/in.png") == png(30, 20)


def test_a_missing_file_on_the_volume_is_named(volume):
    with pytest.raises(InputImageUnavailable) as failure:
        read(volume, "/runpod-volume/uploads/gone.png")
    assert str(failure.value) == "inputs.style_image_path: no such file on the volume (/runpod-volume/uploads/gone.png)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_on_the_volume_is_named(volume):
    path = volume.root / "uploads" / "locked.png"
    path.write_bytes(png())
    path.chmod(0)
    with pytest.raises(InputImageUnavailable, match=r"inputs.style_image_path: cannot be read from the volume"):
        read(volume, "/runpod-volume/uploads/locked.png")


def test_a_folder_is_not_an_input(volume):
    with pytest.raises(InputImageUnavailable) as failure:
        read(volume, "/runpod-volume/uploads")
    assert str(failure.value) == ("inputs.style_image_path: cannot be read from the volume "
                                  "(/runpod-volume/uploads: Is a directory)")


@pytest.mark.parametrize("path", ["/etc/passwd", "/runpod-volume/../etc/passwd", "/runpod-volumes/x.png"])
def test_a_path_outside_the_volume_is_refused(volume, path):
    with pytest.raises(InputImageUnavailable, match=r"is not inside the network volume \(/runpod-volume\)"):
        read(volume, path)


def test_a_volume_file_that_is_not_an_image_is_named(volume):
    (volume.root / "uploads" / "notes.png").write_bytes(b"not a picture")
    with pytest.raises(InputImageUnavailable, match="inputs.style_image_path is not an image Pillow can read"):
        read(volume, "/runpod-volume/uploads/notes.png")
