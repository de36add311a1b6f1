"""Storing an image: into a real S3 server (s3rver checks SigV4) through presigned URLs, or onto a network volume."""
import hashlib

import pytest
import requests

from easel_handler import images
from easel_handler.job_input import OutputTarget
from easel_handler.errors import EngineFailed, UploadFailed
from easel_handler.stores import PresignedStore, VolumeStore, prepare
from easel_handler.volume import VolumeMount
from tests.conftest import fast_patience, png
from tests.support.scripted_http import DROP

KEY = "jobs/own_test/job_delivery/0.png"


@pytest.fixture
def store():
    with requests.Session() as session:
        yield PresignedStore(session, fast_patience(budget=0.3))


def target(url, key=KEY, content_type="image/png"):
    return OutputTarget(0, key, url, {"content-type": content_type} if content_type else {})


def test_put_lands_in_the_bucket_with_its_signed_content_type(s3, store):
    data = png(120, 80)
    store.put(target(s3.presign("PUT", KEY, content_type="image/png")), data, "image/png")
    stored = s3.get(KEY)
    assert stored.status_code == 200
    assert stored.content == data and stored.headers["content-type"] == "image/png"


def test_a_500_is_retried_and_the_upload_lands(s3, s3_proxy, store):
    key = "jobs/own_test/job_delivery/retried.png"
    s3_proxy.fail_next(500, DROP)
    store.put(target(s3.presign("PUT", key, content_type="image/png", endpoint=s3_proxy.url), key), png(), "image/png")
    assert [r.method for r in s3_proxy.requests] == ["PUT", "PUT", "PUT"]
    assert s3.get(key).content == png()


def test_a_403_is_not_retried(s3, s3_proxy, store):
    key = "jobs/own_test/job_delivery/forbidden.png"
    url = s3.presign("PUT", key, content_type="image/png", endpoint=s3_proxy.url, secret="not-the-secret")
    with pytest.raises(UploadFailed, match=r"HTTP 403 \(SignatureDoesNotMatch"):
        store.put(target(url, key), png(), "image/png")
    assert len(s3_proxy.requests) == 1
    assert s3.get(key).status_code == 404


def test_an_injected_403_is_not_retried_either(s3, s3_proxy, store):
    s3_proxy.fail_next(403)
    with pytest.raises(UploadFailed, match="AccessDenied"):
        store.put(target(s3.presign("PUT", KEY, content_type="image/png", endpoint=s3_proxy.url)), png(), "image/png")
    assert len(s3_proxy.requests) == 1


def test_the_signed_content_type_is_what_is_sent(s3, store):
    # Presigned for image/webp: sending anything else would break the signature.
    key = "jobs/own_test/job_delivery/0.webp"
    out = target(s3.presign("PUT", key, content_type="image/webp"), key, "image/webp")
    body, content_type = prepare(out, png())
    store.put(out, body, content_type)
    assert content_type == "image/webp" and images.sniff(s3.get(key).content)[0] == "image/webp"


def test_gives_up_on_persistent_5xx_saying_why_and_never_the_url(s3, s3_proxy, store):
    s3_proxy.fail_next(*[503] * 1000)
    with pytest.raises(UploadFailed) as failure:
        store.put(target(s3.presign("PUT", KEY, content_type="image/png", endpoint=s3_proxy.url)), png(), "image/png")
    message = str(failure.value)
    assert message.startswith("upload of image 0 to the bucket: gave up after ")
    assert message.endswith("its retry budget of 0.3 s ran out (last: HTTP 503 (SlowDown: injected by the test))")
    assert "X-Amz" not in message and "http" not in message


def test_a_refusal_names_the_image_and_the_store_s_reason_never_the_signature(s3, store):
    url = s3.presign("PUT", KEY, content_type="image/png", secret="not-the-secret")
    with pytest.raises(UploadFailed) as failure:
        store.put(target(url), png(), "image/png")
    assert str(failure.value).startswith("upload of image 0 to the bucket: the store refused it with HTTP 403 "
                                         "(SignatureDoesNotMatch: The request signature we calculated")
    assert url.split("X-Amz-Signature=")[1][:16] not in str(failure.value)


def test_prepare_keeps_an_image_already_in_the_asked_type():
    data = png()
    assert prepare(target("http://x", content_type="image/png"), data) == (data, "image/png")
    assert prepare(target("http://x", content_type=None), data) == (data, "image/png")


def test_metadata_describes_the_stored_bytes():
    data = png(120, 80)
    assert images.metadata(3, KEY, data) == {
        "index": 3, "key": KEY, "size": len(data), "content_type": "image/png", "width": 120, "height": 80,
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_an_engine_image_that_is_not_an_image_is_named():
    with pytest.raises(EngineFailed, match="image 0 from the engine is not an image Pillow can read"):
        prepare(target("http://x"), b"garbage")


def test_volume_store_writes_under_the_mount_at_the_key(tmp_path):
    VolumeStore(VolumeMount(str(tmp_path))).put(target(None), png(), "image/png")
    assert (tmp_path / KEY).read_bytes() == png()
    assert [p.name for p in (tmp_path / KEY).parent.iterdir()] == ["0.png"]  # no temporary left behind


def test_volume_store_writes_where_the_volume_is_mounted_here(tmp_path):
    VolumeStore(VolumeMount("/runpod-volume", tmp_path)).put(target(None), png(), "image/png")
    assert (tmp_path / KEY).read_bytes() == png()


def test_volume_store_never_writes_outside_the_mount(tmp_path):
    with pytest.raises(UploadFailed, match="its key ../escape.png leaves the network volume"):
        VolumeStore(VolumeMount(str(tmp_path / "volume"))).put(target(None, key="../escape.png"), png(), "image/png")
