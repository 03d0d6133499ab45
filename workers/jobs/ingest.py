"""Ingest: fetch the recording (an upload waiting in storage, or a link through yt-dlp), check it is
media we accept, keep it as the recording's original."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clipper.download import DownloadOptions, download
from clipper.errors import InvalidInput
from clipper.limits import limits_from
from clipper.models import Recording, Upload
from clipper.probe import probe
from clipper.recordings import get_recording, original_key, upload_key, upload_pieces_prefix
from workers import queues
from workers.context import Context, current
from workers.jobs.common import outcome_on, progress_reporter

UNTITLED = "Untitled recording"


def ingest_recording(recording_id: int) -> str:
    ctx = current()
    s = ctx.settings
    with ctx.sessions() as session:
        recording = get_recording(session, recording_id)
        recording.status, recording.error, recording.progress = "ingesting", "", 0.0
        session.commit()
        work = ctx.workdir(f"ingest-{recording_id}")
        try:
            with outcome_on(session, recording):
                local = _fetch(ctx, session, recording, work)
                info = probe(local, limits_from(s))
                key = original_key(recording_id, info.container)
                ctx.store.put_file(key, local)
                if recording.source != "url":
                    _forget_upload(ctx, session, recording_id)
                recording.original_key, recording.duration, recording.probe = key, info.duration, info.to_dict()
                recording.status, recording.progress = "transcribing", 0.0
                session.commit()
                queues.enqueue_transcribe(ctx.redis, recording_id)
                queues.enqueue_proxy(ctx.redis, recording_id)  # beside transcription, never blocking it
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return recording.status


def _fetch(ctx: Context, session: Session, recording: Recording, work: Path) -> Path:
    """The recording's bytes in ``work``: downloaded from its link, or the upload waiting in storage."""
    if recording.source != "url":
        local = work / "incoming"
        upload = _resumable_upload(session, recording.id)
        if upload is not None and not ctx.store.exists(upload_key(recording.id)):
            _join_pieces(ctx, upload, local)
        else:
            ctx.store.get_file(upload_key(recording.id), local)
        return local
    s = ctx.settings
    options = DownloadOptions(max_bytes=s.max_upload_bytes, max_duration=s.max_duration_seconds,
                              allowed_hosts=s.url_allowed_hosts, ffmpeg_timeout=s.ffmpeg_timeout)
    got = download(recording.source_url, work / "download", options,
                   progress=progress_reporter(session, recording, high=0.9))
    if recording.title == UNTITLED and got.title:
        recording.title = got.title
    return got.path


def _resumable_upload(session: Session, recording_id: int) -> Upload | None:
    return session.scalar(select(Upload).where(Upload.recording_id == recording_id))


def _join_pieces(ctx: Context, upload: Upload, dest: Path) -> None:
    """A resumable upload's pieces (one per request, from any web host) joined into one file, checked whole."""
    keys = sorted(ctx.store.keys(upload_pieces_prefix(upload.id)))
    at = 0
    with dest.open("wb") as out:
        for key in keys:
            if int(key.rsplit("/", 1)[1]) != at:
                raise InvalidInput(f"Part of the upload is missing at byte {at}; send the file again.")
            with ctx.store.open(key) as piece:
                shutil.copyfileobj(piece, out)
            at = out.tell()
    if at != upload.length:
        raise InvalidInput(f"The upload has {at} of its {upload.length} bytes; send the file again.")


def _forget_upload(ctx: Context, session: Session, recording_id: int) -> None:
    """The checked original is kept: the waiting upload (or its pieces) can go."""
    ctx.store.delete(upload_key(recording_id))
    upload = _resumable_upload(session, recording_id)
    if upload is not None:
        for key in ctx.store.keys(upload_pieces_prefix(upload.id)):
            ctx.store.delete(key)
