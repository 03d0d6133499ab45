"""The object-store interface every store implements, and what the stores share.

Both stores behave the same way, and ``tests/storage/test_contract.py`` runs one suite against both:

- keys are relative, slash-separated, with no empty, ``.``/``..`` or hidden (``.x``) parts;
- a put replaces the object whole (a reader sees the old object or the new one, never half) and is
  checked afterwards: the returned ``StoredObject`` has the size and sha256 of what is really stored;
- a missing object is ``FileNotFoundError`` from ``get_file``/``open`` and ``None`` from ``stat``;
- a store that cannot be reached is ``StorageUnavailable`` (worth retrying); a store that is
  misconfigured (no bucket, wrong credentials) is ``StorageError``. Both carry a message for people.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote

from clipper.errors import StorageError

MAX_KEY_LENGTH = 1024  # S3's limit, in UTF-8 bytes; the local store keeps to it too


class StorageUnavailable(StorageError):
    """The store did not answer, or answered with a server error: the same call may work later.

    Jobs should let RQ retry these (``retryable``) rather than mark the record failed for good.
    """

    retryable = True


@dataclass(frozen=True)
class StoreConfig:
    url: str  # file:///path, /path, or s3://bucket/prefix
    secret_key: str = ""  # signs local-store URLs
    public_base_url: str = ""  # web app URL (local) or the bucket's public/CDN URL (S3)
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_public_base_url: str = ""
    multipart_threshold: int = 64 * 1024 * 1024  # S3: files at least this big go up in parts
    s3_max_attempts: int = 3  # S3: tries per request (botocore "standard" retries: 5xx, throttling, resets)
    s3_connect_timeout: float = 5.0
    s3_read_timeout: float = 60.0


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str = ""
    content_type: str = ""


class ObjectStore(Protocol):
    def put_file(self, key: str, path: str | Path, *, content_type: str | None = None,
                 cache_control: str | None = None, public: bool = False) -> StoredObject: ...

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None,
                  cache_control: str | None = None, public: bool = False) -> StoredObject: ...

    def get_file(self, key: str, dest: str | Path) -> Path: ...

    def open(self, key: str) -> BinaryIO: ...

    def stat(self, key: str) -> StoredObject | None: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys(self, prefix: str = "") -> list[str]: ...

    def url(self, key: str, *, expires: int = 3600, download_name: str | None = None,
            public: bool = False) -> str:
        """A link a browser can fetch. ``public`` objects get the S3 public base URL when one is set;
        everything else gets a link signed for ``expires`` seconds."""
        ...


def content_type_for(key: str) -> str:
    kind, _ = mimetypes.guess_type(key)
    if key.endswith(".vtt"):
        return "text/vtt"
    if key.endswith(".srt"):
        return "application/x-subrip"
    return kind or "application/octet-stream"


def sha256_of(path: str | Path, chunk: int = 1024 * 1024) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """Keys are relative, slash-separated, with no '..' parts: they never escape the store.

    Hidden parts (``.x``) are refused too: the local store keeps its temporary files and metadata
    under such names. Control characters and backslashes never appear in a key we make.
    """
    if not isinstance(key, str) or not key or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_LENGTH:
        raise ValueError(f"invalid storage key {key!r}")
    if "\\" in key or any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise ValueError(f"invalid storage key {key!r}")
    if any(part == "" or part.startswith(".") for part in key.split("/")):
        raise ValueError(f"invalid storage key {key!r}")
    return key


def content_disposition(download_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name (RFC 6266), safe in a header."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in download_name) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name, safe='')}"
