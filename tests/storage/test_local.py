"""What only the local store does: its metadata beside the objects, its temp files, its link signing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from clipper.errors import StorageError
from storage import LocalStore, StoreConfig


@pytest.fixture
def local(tmp_path: Path) -> LocalStore:
    return LocalStore(StoreConfig(url=(tmp_path / "objects").as_uri(), secret_key="s3cret",
                                  public_base_url="https://clips.example.org/"))


def test_a_file_replaced_by_hand_gets_a_fresh_checksum(local: LocalStore) -> None:
    local.put_bytes("clips/1/landscape.mp4", b"first")
    path = local.local_path("clips/1/landscape.mp4")
    path.write_bytes(b"replaced by an admin")

    found = local.stat("clips/1/landscape.mp4")

    assert found is not None
    assert (found.size, found.sha256) == (20, hashlib.sha256(b"replaced by an admin").hexdigest())


def test_internal_files_never_show_up_as_objects(local: LocalStore) -> None:
    local.put_bytes("clips/1/landscape.mp4", b"x", cache_control="public, max-age=60")
    (local.root / "clips" / "1" / ".upload-crashed").write_bytes(b"half a render")  # left by a crash

    assert local.keys() == ["clips/1/landscape.mp4"]
    assert (local.root / ".meta" / "clips" / "1" / "landscape.mp4.json").is_file()
    local.delete("clips/1/landscape.mp4")
    assert not (local.root / ".meta" / "clips" / "1" / "landscape.mp4.json").exists()


def test_objects_are_readable_by_the_web_app_and_workers(local: LocalStore) -> None:
    local.put_bytes("clips/1/poster.jpg", b"jpeg")

    assert os.stat(local.local_path("clips/1/poster.jpg")).st_mode & 0o777 == 0o644


def test_a_failed_put_leaves_the_old_object_alone(local: LocalStore, tmp_path: Path) -> None:
    local.put_bytes("clips/2/square.mp4", b"the good render")

    with pytest.raises(FileNotFoundError):
        local.put_file("clips/2/square.mp4", tmp_path / "never-rendered.mp4")

    with local.open("clips/2/square.mp4") as fh:
        assert fh.read() == b"the good render"


def test_links_are_signed_over_the_key_expiry_and_download_name(local: LocalStore) -> None:
    url = local.url("clips/3/vertical.mp4", expires=60, download_name="clip.mp4")

    assert url.startswith("https://clips.example.org/files/clips/3/vertical.mp4?expires=")
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    expires, sig = int(query["expires"]), query["sig"]
    assert local.verify("clips/3/vertical.mp4", expires, sig, "clip.mp4")
    assert not local.verify("clips/3/vertical.mp4", expires, sig, "other.mp4")
    assert not local.verify("clips/3/square.mp4", expires, sig, "clip.mp4")
    assert not local.verify("clips/3/vertical.mp4", expires + 1, sig, "clip.mp4")


def test_without_a_secret_links_are_neither_made_nor_accepted(tmp_path: Path) -> None:
    unsigned = LocalStore(StoreConfig(url=str(tmp_path / "objects")))

    with pytest.raises(StorageError, match="CLIPPER_SECRET_KEY"):
        unsigned.url("clips/1/landscape.mp4")
    assert not unsigned.verify("clips/1/landscape.mp4", 2**40, "0" * 64)
