"""Object storage: one small interface, a local-filesystem store and an S3 store.

``open_store(config)`` picks the store from ``config.url``: ``file:///path`` (or a bare path) for a
local folder, ``s3://bucket/prefix`` for S3 and S3-compatible services.
"""

from __future__ import annotations

from storage.base import ObjectStore, StoreConfig, StoredObject, content_type_for
from storage.local import LocalStore

__all__ = ["ObjectStore", "StoreConfig", "StoredObject", "LocalStore", "content_type_for", "open_store"]


def open_store(config: StoreConfig) -> ObjectStore:
    if config.url.startswith("s3://"):
        from storage.s3 import S3Store

        return S3Store(config)
    return LocalStore(config)
