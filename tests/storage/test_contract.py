"""One contract, two stores: everything here must hold for the local folder and for S3 alike."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.storage.conftest import MULTIPART_THRESHOLD, Stored


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_stored_file_comes_back_byte_for_byte_with_its_size_and_checksum(store: Stored, tmp_path: Path) -> None:
    data = os.urandom(100_000)
    work = tmp_path / "work"
    work.mkdir()
    (work / "render.mp4").write_bytes(data)

    put = store.store.put_file("clips/7/landscape.mp4", work / "render.mp4")

    assert (put.key, put.size, put.sha256, put.content_type) == ("clips/7/landscape.mp4", len(data), sha(data),
                                                                 "video/mp4")
    assert store.store.stat("clips/7/landscape.mp4") == put
    assert store.store.exists("clips/7/landscape.mp4")
    got = store.store.get_file("clips/7/landscape.mp4", work / "copy.mp4")
    assert got.read_bytes() == data
    with store.store.open("clips/7/landscape.mp4") as fh:
        assert fh.read() == data
    assert sorted(p.name for p in work.iterdir()) == ["copy.mp4", "render.mp4"]  # no temp files left


def test_a_second_put_replaces_the_first_and_leaves_one_object(store: Stored) -> None:
    store.store.put_bytes("clips/3/captions.vtt", b"WEBVTT\n\nfirst")
    second = store.store.put_bytes("clips/3/captions.vtt", b"WEBVTT\n\nsecond take")

    assert store.store.keys("clips/3/") == ["clips/3/captions.vtt"]
    assert store.store.stat("clips/3/captions.vtt") == second
    assert second.sha256 == sha(b"WEBVTT\n\nsecond take")
    with store.store.open("clips/3/captions.vtt") as fh:
        assert fh.read() == b"WEBVTT\n\nsecond take"


def test_deleted_and_missing_objects_read_as_missing(store: Stored, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    store.store.put_bytes("recordings/1/poster.jpg", b"\xff\xd8jpeg")
    store.store.delete("recordings/1/poster.jpg")
    store.store.delete("recordings/1/poster.jpg")  # deleting twice is fine: jobs may run twice

    assert store.store.stat("recordings/1/poster.jpg") is None
    assert not store.store.exists("recordings/1/poster.jpg")
    assert store.store.keys("recordings/") == []
    with pytest.raises(FileNotFoundError):
        store.store.get_file("recordings/1/poster.jpg", downloads / "poster.jpg")
    with pytest.raises(FileNotFoundError):
        store.store.open("recordings/1/poster.jpg")
    assert list(downloads.iterdir()) == []  # a failed fetch leaves nothing behind


def test_keys_lists_what_is_under_a_prefix(store: Stored) -> None:
    for key in ("clips/1/landscape.mp4", "clips/1/square.mp4", "clips/10/landscape.mp4", "recordings/1/proxy.mp4"):
        store.store.put_bytes(key, key.encode())

    assert store.store.keys("clips/1/") == ["clips/1/landscape.mp4", "clips/1/square.mp4"]
    assert store.store.keys("clips/1") == ["clips/1/landscape.mp4", "clips/1/square.mp4", "clips/10/landscape.mp4"]
    assert store.store.keys("clips/1/s") == ["clips/1/square.mp4"]
    assert len(store.store.keys()) == 4
    assert store.store.keys("nothing/") == []


ESCAPING_KEYS = ["../secret_key", "clips/../../etc/passwd", "/etc/passwd", "clips//x.mp4", ".meta/clips/1.json",
                 "clips/1/.upload-abc", "clips\\1.mp4", "a\x00b", "clips/1\n.mp4", ""]


def test_keys_that_could_escape_the_store_are_refused(store: Stored, tmp_path: Path) -> None:
    for key in ESCAPING_KEYS:
        with pytest.raises(ValueError):
            store.store.put_bytes(key, b"x")
        with pytest.raises(ValueError):
            store.store.stat(key)
        with pytest.raises(ValueError):
            store.store.url(key)
        with pytest.raises(ValueError):
            store.store.get_file(key, tmp_path / "x")
    assert store.store.keys() == []


def test_a_link_serves_the_bytes_with_content_type_and_cache_headers(store: Stored) -> None:
    store.store.put_bytes("clips/5/captions.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello",
                          cache_control="public, max-age=300")
    store.store.put_bytes("clips/5/data.bin", b"\x00\x01", content_type="application/x-clipper-test")

    got = store.fetch(store.store.url("clips/5/captions.vtt"))
    assert got.status == 200
    assert got.body == b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello"
    assert got.headers["content-type"].startswith("text/vtt")
    assert got.headers["cache-control"] == "public, max-age=300"
    other = store.fetch(store.store.url("clips/5/data.bin"))
    assert (other.status, other.headers["content-type"], other.body) == (200, "application/x-clipper-test", b"\x00\x01")
    assert store.store.stat("clips/5/data.bin").content_type == "application/x-clipper-test"  # type: ignore[union-attr]


def test_a_download_link_names_the_file(store: Stored) -> None:
    store.store.put_bytes("clips/9/vertical.mp4", b"\x00" * 64)

    got = store.fetch(store.store.url("clips/9/vertical.mp4", download_name="Minister on hospitals – vertical.mp4"))

    assert got.status == 200
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment")
    assert "Minister%20on%20hospitals%20%E2%80%93%20vertical.mp4" in disposition


def test_video_seeking_gets_the_requested_byte_range(store: Stored) -> None:
    data = bytes(range(256)) * 40
    store.store.put_bytes("recordings/2/proxy.mp4", data)

    got = store.fetch(store.store.url("recordings/2/proxy.mp4"), {"Range": "bytes=1000-1099"})

    assert got.status == 206
    assert got.body == data[1000:1100]
    assert got.headers["content-range"] == f"bytes 1000-1099/{len(data)}"


def test_a_big_file_goes_up_in_parts_and_comes_back_whole(store: Stored, tmp_path: Path) -> None:
    data = os.urandom(12 * 1024 * 1024)  # over the 5 MiB threshold these stores are built with
    (tmp_path / "original.mp4").write_bytes(data)
    seen_before = len(store.server.requests) if store.server else 0

    put = store.store.put_file("recordings/4/original.mp4", tmp_path / "original.mp4")

    assert (put.size, put.sha256) == (len(data), sha(data))
    assert store.store.stat("recordings/4/original.mp4") == put
    assert store.store.get_file("recordings/4/original.mp4", tmp_path / "back.mp4").read_bytes() == data
    if store.server:
        parts = [r for r in store.server.requests[seen_before:] if r.is_upload_part]
        assert len(parts) == -(-len(data) // MULTIPART_THRESHOLD)  # 5 + 5 + 2 MiB
