"""Objects in a local folder, served by the web app through signed, expiring URLs.

Layout under the root: the object itself at ``<key>``, and what S3 would keep as object metadata
(content type, cache control, sha256) in ``.meta/<key>.json``. Keys never have hidden parts (see
``check_key``), so neither the metadata nor the ``.upload-*`` temporary files can collide with an
object. Metadata records the size and mtime of the file it describes; when they no longer match
(the file was replaced by hand, or a crash fell between the two renames), it is ignored and the
checksum is computed from the file again.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, unquote, urlencode, urlparse

from clipper.errors import StorageError
from storage.base import StorageUnavailable, StoreConfig, StoredObject, check_key, content_type_for, sha256_of

FILES_PREFIX = "/files/"
META_DIR = ".meta"
TMP_PREFIX = ".upload-"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Served:
    """What the web app needs to send one object."""

    path: Path
    content_type: str
    cache_control: str


class LocalStore:
    def __init__(self, config: StoreConfig) -> None:
        url = config.url
        self.root = Path(unquote(urlparse(url).path) if url.startswith("file:") else url)
        self.root.mkdir(parents=True, exist_ok=True)
        self.secret = config.secret_key.encode()
        self.base_url = config.public_base_url.rstrip("/")

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _meta_path(self, key: str) -> Path:
        return self.root / META_DIR / f"{check_key(key)}.json"

    # Writing

    def put_file(self, key: str, path: str | Path, *, content_type: str | None = None,
                 cache_control: str | None = None, public: bool = False) -> StoredObject:
        with open(path, "rb") as src:
            return self._put(key, src, content_type=content_type, cache_control=cache_control)

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None,
                  cache_control: str | None = None, public: bool = False) -> StoredObject:
        return self._put(key, io.BytesIO(data), content_type=content_type, cache_control=cache_control)

    def _put(self, key: str, src: BinaryIO, *, content_type: str | None, cache_control: str | None) -> StoredObject:
        dest = self.path(key)
        content_type = content_type or content_type_for(key)
        with _disk_errors(key):
            dest.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target, flush it to disk, then rename: a reader never sees half an
            # object, and a crash never leaves a short file where a finished render should be.
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=TMP_PREFIX)
            try:
                digest, size = hashlib.sha256(), 0
                with os.fdopen(fd, "wb") as out:
                    while block := src.read(CHUNK):
                        digest.update(block)
                        size += len(block)
                        out.write(block)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o644)  # mkstemp makes 0600; objects are read by the web app and workers
                written = os.stat(tmp)
                if written.st_size != size:
                    raise StorageError(f"Saving {key} to the object folder was incomplete; try again.")
                meta = {"size": size, "mtime_ns": written.st_mtime_ns, "sha256": digest.hexdigest(),
                        "content_type": content_type, "cache_control": cache_control or ""}
                os.replace(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
            self._write_meta(key, meta)
        return StoredObject(key, size, digest.hexdigest(), content_type)

    def _write_meta(self, key: str, meta: dict[str, object]) -> None:
        target = self._meta_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TMP_PREFIX)
        with os.fdopen(fd, "w") as fh:
            json.dump(meta, fh)
        os.replace(tmp, target)

    def _read_meta(self, key: str, st: os.stat_result) -> dict[str, str]:
        """The stored metadata, or {} when it is missing or describes another version of the file."""
        try:
            meta = json.loads(self._meta_path(key).read_text())
        except (OSError, ValueError):
            return {}
        if meta.get("size") != st.st_size or meta.get("mtime_ns") != st.st_mtime_ns:
            return {}
        return meta

    # Reading

    def get_file(self, key: str, dest: str | Path) -> Path:
        src = self.path(key)
        if not src.is_file():
            raise FileNotFoundError(key)
        dest = Path(dest)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=TMP_PREFIX)
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return dest

    def open(self, key: str) -> BinaryIO:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return open(path, "rb")

    def stat(self, key: str) -> StoredObject | None:
        p = self.path(key)
        try:
            st = p.stat()
        except FileNotFoundError:
            return None
        if not p.is_file():
            return None
        meta = self._read_meta(key, st)
        return StoredObject(key, st.st_size, meta.get("sha256") or sha256_of(p),
                            meta.get("content_type") or content_type_for(key))

    def serving(self, key: str) -> Served | None:
        """Path, content type and cache control for the web app, without hashing the file."""
        p = self.path(key)
        try:
            st = p.stat()
        except FileNotFoundError:
            return None
        if not p.is_file():
            return None
        meta = self._read_meta(key, st)
        return Served(p, meta.get("content_type") or content_type_for(key), meta.get("cache_control") or "")

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)

    def keys(self, prefix: str = "") -> list[str]:
        # Walk only the folder the prefix names ("clips/12/p" walks clips/12), skipping hidden entries.
        head = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        start = self.root / head if head and not any(p in ("", ".", "..") for p in head.split("/")) else self.root
        found = []
        for folder, dirs, files in os.walk(start):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith("."):
                    continue
                key = Path(folder, name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        return sorted(found)

    def local_path(self, key: str) -> Path:
        """Local stores can hand workers the file itself instead of a copy."""
        return self.path(key)

    # Signed URLs: /files/<key>?expires=<unix>&sig=<hmac>[&download=<name>], checked by web.files.
    # The download name is signed too, so a link cannot be re-labelled.

    def signature(self, key: str, expires: int, download: str = "") -> str:
        if not self.secret:
            # An empty key would make every link forgeable; the web app always has one.
            raise StorageError("File links cannot be signed: no secret key is configured (CLIPPER_SECRET_KEY).",
                               expected=False)
        return hmac.new(self.secret, f"{key}\n{expires}\n{download}".encode(), hashlib.sha256).hexdigest()

    def verify(self, key: str, expires: int, sig: str, download: str = "") -> bool:
        if not self.secret or expires < time.time():
            return False
        return hmac.compare_digest(self.signature(key, expires, download), sig)

    def url(self, key: str, *, expires: int = 3600, download_name: str | None = None, public: bool = False) -> str:
        check_key(key)
        until = int(time.time()) + expires
        query: dict[str, str | int] = {"expires": until, "sig": self.signature(key, until, download_name or "")}
        if download_name:
            query["download"] = download_name
        return f"{self.base_url}{FILES_PREFIX}{quote(key)}?{urlencode(query)}"


@contextmanager
def _disk_errors(key: str) -> Iterator[None]:
    """A full or read-only disk becomes a message an admin can act on, not a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageUnavailable(f"The object folder is full, so {key} could not be saved. Ask an admin to "
                                     "free some disk space; the job can then be retried.", detail=str(exc)) from exc
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise StorageError(f"The object folder is not writable, so {key} could not be saved. Ask an admin "
                               "to check its permissions.", detail=str(exc)) from exc
        raise
