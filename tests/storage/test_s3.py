"""What only the S3 store does: outages, retries, lost writes, public links, misconfiguration."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from clipper.errors import StorageError
from clipper.settings import Settings
from storage import StoreConfig
from storage.base import StorageUnavailable
from storage.s3 import S3Store
from tests.s3server import S3Server, new_bucket
from tests.storage.conftest import MULTIPART_THRESHOLD
from workers.context import store_config


@pytest.fixture
def s3(s3_settings: Settings) -> S3Store:
    return S3Store(dataclasses.replace(store_config(s3_settings), multipart_threshold=MULTIPART_THRESHOLD))


@pytest.fixture
def doomed_server() -> Iterator[S3Server]:
    """A server of this test's own, so it can be killed."""
    server = S3Server()
    server.start()
    yield server
    server.kill()


def test_storage_that_goes_away_gives_a_clear_error_naming_the_object_and_the_endpoint(
        doomed_server: S3Server, s3_settings: Settings, tmp_path: Path) -> None:
    bucket = new_bucket(doomed_server)
    config = dataclasses.replace(store_config(s3_settings), url=f"s3://{bucket}", s3_endpoint_url=doomed_server.endpoint)
    store = S3Store(config)
    store.put_bytes("clips/1/landscape.mp4", b"before the outage")
    work = tmp_path / "work"
    work.mkdir()
    (work / "render.mp4").write_bytes(b"after")

    doomed_server.kill()

    calls = {
        "saved": lambda: store.put_file("clips/1/square.mp4", work / "render.mp4"),
        "fetched": lambda: store.get_file("clips/1/landscape.mp4", work / "copy.mp4"),
        "checked": lambda: store.stat("clips/1/landscape.mp4"),
        "listed": lambda: store.keys("clips/"),
        "deleted": lambda: store.delete("clips/1/landscape.mp4"),
    }
    for verb, call in calls.items():
        with pytest.raises(StorageUnavailable) as caught:
            call()
        message = str(caught.value)
        assert f"could not be {verb}" in message
        assert "retried" in message and doomed_server.endpoint in message
        assert caught.value.expected and caught.value.retryable
    assert sorted(p.name for p in work.iterdir()) == ["render.mp4"]  # no half-fetched copy


def test_a_brief_server_error_is_retried_and_the_put_succeeds(s3: S3Store, moto_server: S3Server) -> None:
    moto_server.fail(503, times=1, when=lambda e: e["REQUEST_METHOD"] == "PUT")

    put = s3.put_bytes("clips/2/poster.jpg", b"\xff\xd8poster")

    statuses = [r.method for r in moto_server.requests if r.path.endswith("clips/2/poster.jpg")]
    assert statuses.count("PUT") == 2  # the 503, then the retry
    assert s3.stat("clips/2/poster.jpg") == put
    assert s3.keys("clips/2/") == ["clips/2/poster.jpg"]


def test_a_failed_multipart_overwrite_keeps_the_old_object(s3: S3Store, moto_server: S3Server,
                                                            tmp_path: Path) -> None:
    old = s3.put_bytes("clips/3/landscape.mp4", b"the good render")
    (tmp_path / "new.mp4").write_bytes(os.urandom(MULTIPART_THRESHOLD + 1024))
    moto_server.fail(500, times=None, when=lambda e: "partNumber=2" in e.get("QUERY_STRING", ""))

    with pytest.raises(StorageUnavailable, match="clips/3/landscape.mp4 could not be saved"):
        s3.put_file("clips/3/landscape.mp4", tmp_path / "new.mp4")

    moto_server.heal()
    assert s3.stat("clips/3/landscape.mp4") == old
    assert s3.keys("clips/3/") == ["clips/3/landscape.mp4"]


def test_a_write_the_endpoint_loses_is_not_reported_as_stored(s3: S3Store, moto_server: S3Server) -> None:
    moto_server.drop(times=1, when=lambda e: e["REQUEST_METHOD"] == "PUT")

    with pytest.raises(StorageUnavailable, match="did not complete"):
        s3.put_bytes("clips/4/vertical.mp4", b"rendered bytes")

    assert s3.stat("clips/4/vertical.mp4") is None


def test_public_objects_get_the_public_base_url_and_private_ones_a_signed_link(s3_settings: Settings) -> None:
    config = dataclasses.replace(store_config(s3_settings), s3_public_base_url="https://cdn.example.org/")
    store = S3Store(config)
    bucket_prefix = s3_settings.storage_url.removeprefix("s3://").split("/", 1)[1]

    assert store.url("clips/5/square.mp4", public=True) == f"https://cdn.example.org/{bucket_prefix}/clips/5/square.mp4"
    private = store.url("recordings/5/original.mp4")
    assert private.startswith(s3_settings.s3_endpoint_url) and "X-Amz-Signature=" in private
    assert "X-Amz-Expires=604800" in store.url("clips/5/square.mp4", expires=30 * 24 * 3600)  # S3's one-week cap


def test_a_missing_bucket_is_a_configuration_error_not_an_outage(moto_server: S3Server, s3_settings: Settings) -> None:
    store = S3Store(dataclasses.replace(store_config(s3_settings), url="s3://no-such-bucket-here/x"))

    with pytest.raises(StorageError, match="bucket 'no-such-bucket-here' does not exist") as caught:
        store.put_bytes("clips/1/a.vtt", b"WEBVTT")
    assert not isinstance(caught.value, StorageUnavailable)


def test_a_storage_url_without_a_bucket_is_refused() -> None:
    with pytest.raises(StorageError, match="s3://bucket"):
        S3Store(StoreConfig(url="s3:///prefix"))


def test_objects_stored_by_something_else_still_stat(s3: S3Store, s3_settings: Settings,
                                                     moto_server: S3Server) -> None:
    from tests.s3server import s3_client

    bucket, prefix = s3_settings.storage_url.removeprefix("s3://").split("/", 1)
    s3_client(moto_server).put_object(Bucket=bucket, Key=f"{prefix}/imports/a.mp4", Body=b"abc")

    found = s3.stat("imports/a.mp4")

    assert found is not None and (found.size, found.sha256) == (3, "")  # no checksum recorded: say so


def test_a_download_cut_short_is_retried_or_refused_never_returned_half(s3: S3Store, moto_server: S3Server,
                                                                        tmp_path: Path) -> None:
    data = os.urandom(2 * 1024 * 1024)
    s3.put_bytes("recordings/6/original.mp4", data)
    work = tmp_path / "work"
    work.mkdir()
    gets = {"when": lambda e: e["REQUEST_METHOD"] == "GET" and "recordings/6/" in e["PATH_INFO"]}

    moto_server.cut(times=1, **gets)
    assert s3.get_file("recordings/6/original.mp4", work / "once.mp4").read_bytes() == data  # retried

    moto_server.cut(times=None, **gets)
    with pytest.raises(StorageUnavailable, match="could not be fetched"):
        s3.get_file("recordings/6/original.mp4", work / "never.mp4")
    with pytest.raises(StorageUnavailable, match="could not be fetched"), s3.open("recordings/6/original.mp4") as fh:
        fh.read()
    assert sorted(p.name for p in work.iterdir()) == ["once.mp4"]
