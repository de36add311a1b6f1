"""Input images from presigned GETs: fetched, retried on 5xx, refused with the input's name otherwise."""
import pytest
import requests

from easel_handler.errors import InputImageUnavailable
from easel_handler.inputs import fetch_image
from easel_handler.retry import RetryPolicy
from tests.conftest import png

FAST = RetryPolicy(attempts=3, base_delay=0.01)


def fetch(url, max_bytes=10_000_000):
    with requests.Session() as session:
        return fetch_image(session, "inputs.style_image_url", url, FAST, 5, max_bytes)


def test_fetches_through_a_presigned_get(s3):
    s3.put("uploads/own_test/in.png", png(30, 20))
    assert fetch(s3.presign("GET", "uploads/own_test/in.png")) == png(30, 20)


def test_retries_a_5xx(s3, s3_proxy):
    s3.put("uploads/own_test/in.png", png())
    s3_proxy.fail_next(500)
    assert fetch(s3.presign("GET", "uploads/own_test/in.png", endpoint=s3_proxy.url)) == png()
    assert len(s3_proxy.requests) == 2


def test_names_the_input_that_failed(s3):
    with pytest.raises(InputImageUnavailable, match=r"fetching inputs.style_image_url: HTTP 404"):
        fetch(s3.presign("GET", "uploads/own_test/missing.png"))


def test_refuses_what_is_not_an_image(s3):
    s3.put("uploads/own_test/text.png", b"hello", content_type="image/png")
    with pytest.raises(InputImageUnavailable, match="not a readable image"):
        fetch(s3.presign("GET", "uploads/own_test/text.png"))


def test_refuses_an_oversized_input(s3):
    s3.put("uploads/own_test/big.png", png(400, 400))
    with pytest.raises(InputImageUnavailable, match="larger than 100 bytes"):
        fetch(s3.presign("GET", "uploads/own_test/big.png"), max_bytes=100)
