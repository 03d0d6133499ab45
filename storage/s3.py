"""Objects in an S3 bucket (AWS, MinIO, R2 or any S3-compatible service), through boto3.

``s3://bucket/prefix`` names the bucket and a key prefix; every key lives under the prefix. Each object
carries its sha256 as user metadata (``x-amz-meta-sha256``), written on upload and read back by
``stat``, and every put is checked with a HEAD afterwards: a render is never recorded as stored unless
the object is there with the right size and checksum.

Public objects: with ``s3_public_base_url`` set (a CDN or the bucket's public website, mapped to the
bucket root), ``url(key, public=True)`` is ``<base>/<prefix><key>``; everything else gets a presigned
GET. We set no ACLs: new AWS buckets refuse them (Object Ownership "bucket owner enforced"), so
publishing is the bucket policy's or the CDN's job.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, BinaryIO, NoReturn
from urllib.parse import quote, urlparse

import boto3
import urllib3
from boto3.exceptions import RetriesExceededError, S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from clipper.errors import StorageError
from storage.base import (
    StorageUnavailable,
    StoreConfig,
    StoredObject,
    check_key,
    content_disposition,
    content_type_for,
    sha256_of,
)

CHUNK = 1024 * 1024
MIN_PART = 5 * 1024 * 1024  # S3's smallest multipart part
MAX_PRESIGN = 7 * 24 * 3600  # SigV4 presigned URLs live at most a week
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
DENIED = {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}


class S3Store:
    def __init__(self, config: StoreConfig) -> None:
        parsed = urlparse(config.url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise StorageError(f"The storage URL {config.url!r} should look like s3://bucket or s3://bucket/prefix.")
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/") + "/" if parsed.path.strip("/") else ""
        self.endpoint = config.s3_endpoint_url or None
        self.public_base_url = config.s3_public_base_url.rstrip("/")
        custom = self.endpoint is not None
        self.client = boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=config.s3_region or None,
            aws_access_key_id=config.s3_access_key_id or None,
            aws_secret_access_key=config.s3_secret_access_key or None,
            config=Config(
                signature_version="s3v4",
                # MinIO and most self-hosted services only understand path-style addressing.
                s3={"addressing_style": "path" if custom else "auto"},
                retries={"max_attempts": config.s3_max_attempts, "mode": "standard"},
                connect_timeout=config.s3_connect_timeout,
                read_timeout=config.s3_read_timeout,
                # boto3 ≥ 1.36 adds CRC trailers some S3-compatible services reject; we check
                # size and sha256 ourselves after every put.
                request_checksum_calculation="when_required" if custom else "when_supported",
                response_checksum_validation="when_required" if custom else "when_supported",
            ),
        )
        self.transfer = TransferConfig(multipart_threshold=max(config.multipart_threshold, MIN_PART),
                                       multipart_chunksize=max(config.multipart_threshold, MIN_PART))

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _where(self) -> str:
        return f"{self.endpoint or 'AWS S3'} (bucket {self.bucket})"

    # Writing

    def put_file(self, key: str, path: str | Path, *, content_type: str | None = None,
                 cache_control: str | None = None, public: bool = False) -> StoredObject:
        size, digest = os.path.getsize(path), sha256_of(path)
        extra = self._extra(key, digest, content_type, cache_control)
        with self._errors("save", key):
            # upload_file switches to a multipart upload at the threshold (parts in parallel threads).
            self.client.upload_file(str(path), self.bucket, self._key(key), ExtraArgs=extra, Config=self.transfer)
        return self._verified(key, size, digest, extra["ContentType"])

    def put_bytes(self, key: str, data: bytes, *, content_type: str | None = None,
                  cache_control: str | None = None, public: bool = False) -> StoredObject:
        digest = hashlib.sha256(data).hexdigest()
        extra = self._extra(key, digest, content_type, cache_control)
        with self._errors("save", key):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)
        return self._verified(key, len(data), digest, extra["ContentType"])

    def _extra(self, key: str, digest: str, content_type: str | None, cache_control: str | None) -> dict[str, Any]:
        extra: dict[str, Any] = {"ContentType": content_type or content_type_for(key), "Metadata": {"sha256": digest}}
        if cache_control:
            extra["CacheControl"] = cache_control
        return extra

    def _verified(self, key: str, size: int, digest: str, content_type: str) -> StoredObject:
        stored = self.stat(key)
        if stored is None or stored.size != size or stored.sha256 != digest:
            found = "nothing" if stored is None else f"{stored.size} bytes"
            raise StorageUnavailable(f"Saving {key} to object storage did not complete (expected {size} bytes, "
                                     f"found {found}); the job can be retried.")
        return StoredObject(key, size, digest, content_type)

    # Reading

    def get_file(self, key: str, dest: str | Path) -> Path:
        dest = Path(dest)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".download-")
        os.close(fd)
        try:
            with self._errors("fetch", key):
                self.client.download_file(self.bucket, self._key(key), tmp, Config=self.transfer)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return dest

    def open(self, key: str) -> BinaryIO:
        with self._errors("fetch", key):
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        return io.BufferedReader(_Body(body, lambda: self._errors("fetch", key)), CHUNK)  # type: ignore[return-value]

    def stat(self, key: str) -> StoredObject | None:
        try:
            with self._errors("check", key):
                head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except FileNotFoundError:
            return None
        return StoredObject(key, head["ContentLength"], head.get("Metadata", {}).get("sha256", ""),
                            head.get("ContentType", ""))

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def delete(self, key: str) -> None:
        with self._errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def keys(self, prefix: str = "") -> list[str]:
        found: list[str] = []
        with self._errors("list", prefix or "/"):
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
            for page in pages:
                found.extend(obj["Key"][len(self.prefix):] for obj in page.get("Contents", []))
        return sorted(found)

    def url(self, key: str, *, expires: int = 3600, download_name: str | None = None, public: bool = False) -> str:
        full = self._key(key)
        if public and self.public_base_url:
            return f"{self.public_base_url}/{quote(full)}"
        params: dict[str, str] = {"Bucket": self.bucket, "Key": full}
        if download_name:
            params["ResponseContentDisposition"] = content_disposition(download_name)
        # Presigning is local computation (no request), so it works even while S3 is down.
        return self.client.generate_presigned_url("get_object", Params=params,  # type: ignore[no-any-return]
                                                  ExpiresIn=max(1, min(expires, MAX_PRESIGN)))

    # Errors

    @contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        """botocore's exceptions become ours: missing → FileNotFoundError, outage → StorageUnavailable."""
        try:
            yield
        except S3UploadFailedError as exc:
            cause = exc.__context__
            if isinstance(cause, ClientError):
                self._client_error(action, key, cause)
            raise StorageUnavailable(self._outage(action, key), detail=str(exc)) from exc
        except ClientError as exc:
            self._client_error(action, key, exc)
        except NoCredentialsError as exc:
            raise StorageError(f"Object storage has no credentials, so {key} could not be {_done(action)}. "
                               "Ask an admin to set CLIPPER_S3_ACCESS_KEY_ID and CLIPPER_S3_SECRET_ACCESS_KEY.",
                               detail=str(exc)) from exc
        except (BotoCoreError, RetriesExceededError, urllib3.exceptions.HTTPError, ConnectionError) as exc:
            # connection refused or reset, timeouts, DNS, a response cut short
            raise StorageUnavailable(self._outage(action, key), detail=str(exc)) from exc

    def _client_error(self, action: str, key: str, exc: ClientError) -> NoReturn:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in NOT_FOUND:
            raise FileNotFoundError(key) from exc
        if code == "NoSuchBucket":
            raise StorageError(f"The storage bucket {self.bucket!r} does not exist, so {key} could not be "
                               f"{_done(action)}. Ask an admin to create it or fix CLIPPER_STORAGE_URL.",
                               detail=str(exc)) from exc
        if code in DENIED:
            raise StorageError(f"Object storage refused access to {key} ({code}). Ask an admin to check the S3 "
                               "credentials and the bucket's permissions.", detail=str(exc)) from exc
        if status >= 500 or status in (408, 429) or code in ("SlowDown", "RequestTimeout", "ServiceUnavailable"):
            raise StorageUnavailable(self._outage(action, key), detail=str(exc)) from exc
        raise StorageError(f"Object storage could not {action} {key}: {error.get('Message') or code}.",
                           detail=str(exc)) from exc

    def _outage(self, action: str, key: str) -> str:
        return (f"Object storage is not answering right now, so {key} could not be {_done(action)}. The job can "
                f"be retried; if this keeps happening, ask an admin to check {self._where()}.")


class _Body(io.RawIOBase):
    """A response body whose read errors (the connection dropped mid-stream) become ours."""

    def __init__(self, body: Any, errors: Callable[[], AbstractContextManager[None]]) -> None:
        self._body, self._errors = body, errors

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._errors():
            data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._body.close()
        super().close()


def _done(action: str) -> str:
    return {"save": "saved", "fetch": "fetched", "check": "checked", "delete": "deleted", "list": "listed"}[action]
