"""Taking a withdrawn clip's objects out of public reach, and putting them back.

The local store serves objects only through signed links that the web app checks, so it refuses
the links of a withdrawn clip and leaves the files where they are. S3 links cannot be revoked (a
public base URL or a presigned URL is served by the bucket, not by us), so there the objects are
moved out of the public ``clips/`` prefix to ``withdrawn/clips/...`` and moved back on re-publishing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from storage.base import ObjectStore
from storage.local import LocalStore

HIDDEN_PREFIX = "withdrawn/"


def hides_by_moving(store: ObjectStore) -> bool:
    return not isinstance(store, LocalStore)  # the local store's links are checked by the web app


def hide(store: ObjectStore, keys: list[str]) -> int:
    """Move ``keys`` to the hidden prefix; returns how many moved. Safe to repeat."""
    return sum(_move(store, key, HIDDEN_PREFIX + key) for key in keys)


def restore(store: ObjectStore, keys: list[str]) -> int:
    return sum(_move(store, HIDDEN_PREFIX + key, key) for key in keys)


def _move(store: ObjectStore, src: str, dest: str) -> bool:
    found = store.stat(src)
    if found is None:
        return False  # already moved (a repeated withdrawal) or never made
    with tempfile.TemporaryDirectory(prefix="clipper-move-") as tmp:
        path = store.get_file(src, Path(tmp) / "object")
        store.put_file(dest, path, content_type=found.content_type or None, public=True)
    store.delete(src)
    return True
