"""Resumable uploads: the tus 1.0 protocol (core, creation, termination) at ``/api/v1/uploads``.

A client creates an upload with its total size (``POST``, ``Upload-Length``), sends bytes in one or
more ``PATCH`` requests from ``Upload-Offset``, and after a dropped connection asks where to carry
on (``HEAD``). Each PATCH's bytes become one piece in object storage (``uploads/<id>/<offset>``),
so consecutive PATCHes may reach different web processes on different hosts; sizes are checked
from the headers before any body is read. When the last byte arrives the pieces become a recording's upload (a new
recording, or the one named by ``recording_id`` in the metadata) and ingest is queued - which
probes the content to decide what it is; the file name is kept only as a label.
See https://tus.io/protocols/resumable-upload.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.http import http_date

from clipper import events
from clipper import recordings as recording_service
from clipper.errors import InvalidInput
from clipper.models import Recording, Upload, utcnow
from clipper.plaintext import check_plain
from web.auth import public
from web.body_caps import body_cap
from web.db import redis_conn, session, settings, store
from web.uploads import CHUNK, append_body, too_large
from workers import queues

bp = Blueprint("tus", __name__, url_prefix="/api/v1/uploads")
VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
# An unfinished upload is kept this long after its last byte arrived, then removed with its partial file.
EXPIRES_AFTER = timedelta(days=7)
OFFSET_TYPE = "application/offset+octet-stream"
# A PATCH holds the upload's lock this long past the last megabyte it received: a web host that dies
# mid-request frees the upload for another host within seconds, while a slow phone keeps it as it sends.
LOCK_SECONDS = 30


@bp.after_request
def _tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_request
def _check_version() -> None:
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != VERSION:
        abort(412, description=f"Send 'Tus-Resumable: {VERSION}' (a tus 1.0 client).")


@bp.route("", methods=["OPTIONS"])
@public
def capabilities() -> Any:
    return Response(status=204, headers={
        "Tus-Version": VERSION, "Tus-Extension": EXTENSIONS, "Tus-Max-Size": str(settings().max_upload_bytes)})


@bp.post("")
def create() -> Any:
    length = _int_header("Upload-Length")
    limit = settings().max_upload_bytes
    if length > limit:
        too_large(limit)
    _sweep_expired()
    meta = _metadata(request.headers.get("Upload-Metadata", ""))
    if meta.get("recording_id"):
        _linked_recording(meta["recording_id"], current_user.id)  # refuse now, not after the last byte
    else:  # the recording is made when the last byte arrives: its title must be acceptable now
        recording_service.check_title(meta.get("title") or "")
    recording_service.parse_air_date(meta.get("aired_at"), settings().timezone)  # a bad date: refused now too
    upload = Upload(user_id=current_user.id, length=length, offset=0, meta=meta,
                    filename=(meta.get("filename") or "")[:500])
    db = session()
    db.add(upload)
    db.commit()
    if length == 0:
        _finish(upload)  # an empty file: ingest tells the volunteer so
    location = url_for("tus.status", upload_id=upload.id, _external=False)
    return Response(status=201, headers={"Location": location, **_progress_headers(upload)})


@bp.route("/<upload_id>", methods=["HEAD"])
def status(upload_id: str) -> Any:
    upload = _own(upload_id)
    return Response(status=200, headers={
        "Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length), **_progress_headers(upload)})


@bp.route("/<upload_id>", methods=["PATCH"])
@body_cap(lambda s: s.max_upload_chunk_bytes)
def append(upload_id: str) -> Any:
    upload = _own(upload_id)
    if request.mimetype != OFFSET_TYPE:
        abort(415, description=f"Send the bytes as '{OFFSET_TYPE}'.")
    offset = _int_header("Upload-Offset")
    if upload.complete:
        abort(409, description="This upload is complete; its recording is being prepared.")
    if offset != upload.offset:
        abort(409, description=f"The upload is at byte {upload.offset}, not {offset}: ask with HEAD and resume from there.")
    remaining = upload.length - upload.offset
    if request.content_length is not None and request.content_length > remaining:
        too_large(upload.length)  # refused before reading the body
    with _sending(upload):
        session().refresh(upload)  # another host may have taken bytes since we looked
        if offset != upload.offset:
            abort(409, description=f"The upload is at byte {upload.offset}, not {offset}: ask with HEAD and resume from there.")
        _receive_piece(upload, offset, remaining)
    if upload.offset == upload.length:
        _finish(upload)
    elif request.content_length is None and request.stream.read(1):
        too_large(upload.length)  # a chunked body longer than the upload it belongs to
    return Response(status=204, headers={"Upload-Offset": str(upload.offset), **_progress_headers(upload)})


@bp.delete("/<upload_id>")
def terminate(upload_id: str) -> Any:
    upload = _own(upload_id)
    if upload.complete:
        abort(409, description="This upload has finished and became a recording; delete the recording instead.")
    _remove(upload)
    return Response(status=204)


def _finish(upload: Upload) -> None:
    """The last byte arrived: hand the file to a recording and queue its ingest."""
    db = session()
    recording = _target_recording(upload)
    if upload.length == 0:
        store().put_bytes(recording_service.upload_key(recording.id), b"")  # ingest says the file is empty
    upload.recording_id, upload.completed_at = recording.id, utcnow()
    recording.status, recording.error = "queued", ""
    events.record(db, "recording.uploaded", recording, user_id=upload.user_id, resumable=True, size=upload.length)
    db.commit()
    queues.enqueue_ingest(redis_conn(), recording.id)


def _target_recording(upload: Upload) -> Recording:
    db = session()
    if upload.meta.get("recording_id"):
        return _linked_recording(upload.meta["recording_id"], upload.user_id)
    return recording_service.create_recording(
        db, title=upload.meta.get("title") or upload.filename, channel=upload.meta.get("channel", ""),
        created_by_id=upload.user_id, aired_at=recording_service.parse_air_date(upload.meta.get("aired_at"),
                                                                                settings().timezone))


def _linked_recording(wanted: str, user_id: int) -> Recording:
    """A recording the uploader made earlier (in the UI) and is now sending the file for."""
    recording = session().get(Recording, int(wanted)) if wanted.isdigit() else None
    if recording is None or recording.created_by_id != user_id:
        raise InvalidInput(f"Recording {wanted} is not one of yours; leave out 'recording_id' to add a new one.")
    if recording.original_key:
        raise InvalidInput(f"Recording {wanted} already has its file.")
    return recording


def _own(upload_id: str) -> Upload:
    """The upload, when it belongs to the caller; anyone else is told it does not exist."""
    upload = session().get(Upload, upload_id)
    if upload is None or upload.user_id != current_user.id:
        abort(404, description="No such upload: it may have expired, or belong to someone else.")
    if _expired(upload):
        _remove(upload)
        abort(410, description="This upload waited too long for its next byte and was removed; start it again.")
    return upload


def _expired(upload: Upload) -> bool:
    return not upload.complete and upload.updated_at + EXPIRES_AFTER < utcnow()


def _sweep_expired() -> None:
    """Remove unfinished uploads nobody has added to for ``EXPIRES_AFTER`` (lazily, as new ones start)."""
    stale = session().scalars(select(Upload).where(
        Upload.completed_at.is_(None), Upload.updated_at < utcnow() - EXPIRES_AFTER).limit(100))
    for upload in list(stale):
        _remove(upload)


def _remove(upload: Upload) -> None:
    for key in store().keys(recording_service.upload_pieces_prefix(upload.id)):
        store().delete(key)
    db = session()
    db.delete(upload)
    db.commit()


@contextmanager
def _sending(upload: Upload) -> Iterator[None]:
    """One request at a time per upload, across every web process (a lock in the shared Redis)."""
    key, token = _lock_key(upload), secrets.token_hex(8)
    if not redis_conn().set(key, token, nx=True, ex=LOCK_SECONDS):
        abort(423, description="Another request is still sending this upload; try again in a moment.")
    try:
        yield
    finally:
        if redis_conn().get(key) == token.encode():
            redis_conn().delete(key)


def _lock_key(upload: Upload) -> str:
    return f"clipper:tus:{upload.id}"


def _receive_piece(upload: Upload, offset: int, remaining: int) -> None:
    """Stream the body to a scratch file, then keep what arrived as one piece in object storage.

    The piece is stored and the offset moved even when the client hangs up mid-body, so it resumes
    from there - on this web process or any other, since nothing stays on this host's disk.
    """
    scratch = Path(settings().data_dir) / "incoming"
    scratch.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=scratch, prefix="tus-")
    arrived = [0]
    try:
        with os.fdopen(fd, "w+b") as fh:
            def progress(n: int) -> None:
                arrived[0] = n
                redis_conn().expire(_lock_key(upload), LOCK_SECONDS)  # still receiving: keep the upload

            append_body(fh, 0, remaining, request.stream, progress, every=CHUNK)
    finally:
        if arrived[0]:
            store().put_file(recording_service.upload_piece_key(upload.id, offset), name)
            upload.offset, upload.updated_at = offset + arrived[0], utcnow()
            session().commit()
        os.unlink(name)


def _progress_headers(upload: Upload) -> dict[str, str]:
    """When an unfinished upload expires; once finished, where its recording is."""
    if upload.recording_id is None:
        return {"Upload-Expires": http_date(upload.updated_at + EXPIRES_AFTER)}
    return {"Clipper-Recording": url_for("api.get_recording", recording_id=upload.recording_id)}


def _int_header(name: str) -> int:
    raw = request.headers.get(name, "")
    if not raw.isdigit():
        abort(400, description=f"Send the '{name}' header as a whole number of bytes.")
    return int(raw)


def _metadata(header: str) -> dict[str, str]:
    """tus metadata: comma-separated ``key base64value`` pairs."""
    meta: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        try:
            meta[key[:100]] = base64.b64decode(value, validate=True).decode("utf-8")[:1000] if value else ""
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput(f"Upload-Metadata '{key}' is not base64 text.") from None
        check_plain(meta[key[:100]], f"upload's {key[:100]}")
    return meta
