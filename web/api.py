"""The JSON API (``/api/v1``): recordings, clips, renders and job status, with token auth."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from clipper import clips as clip_service
from clipper import events
from clipper import recordings as recording_service
from clipper.errors import InvalidInput
from clipper.models import Clip, Recording
from clipper.urls import AddressPolicy, check_url
from web import serialize
from web.body_caps import body_cap
from web.db import redis_conn, session, settings, store
from web.uploads import MULTIPART_SLACK, receive_file
from workers import queues

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _body() -> dict[str, Any]:
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InvalidInput("Send a JSON object.")
        return data
    return request.form.to_dict()


@bp.get("/recordings")
def list_recordings() -> Any:
    rows = session().scalars(select(Recording).order_by(Recording.id.desc()).limit(200))
    return jsonify(recordings=[serialize.recording(r) for r in rows])


@bp.post("/recordings")
@body_cap(lambda s: s.max_upload_bytes + MULTIPART_SLACK, mimetypes=("multipart/form-data",))
def create_recording() -> Any:
    s = settings()
    if not request.mimetype.startswith("multipart/"):
        return _create_from_url(_body())
    path = receive_file("file", s.data_dir / "incoming", s.max_upload_bytes)
    data = _body()
    if path is None:
        if data.get("url"):
            return _create_from_url(data)
        raise InvalidInput("Attach the recording as the 'file' field (multipart/form-data), or send its link as 'url'.")
    try:
        db = session()
        upload = request.files["file"]
        recording = recording_service.create_recording(
            db, title=data.get("title") or upload.filename or "", channel=data.get("channel", ""),
            created_by_id=current_user.id, aired_at=_aired(data))
        store().put_file(recording_service.upload_key(recording.id), path)
        events.record(db, "recording.uploaded", recording, user_id=current_user.id)
        db.commit()
    finally:
        path.unlink(missing_ok=True)
    queues.enqueue_ingest(redis_conn(), recording.id)
    return jsonify(serialize.recording(recording)), 202


def _create_from_url(data: dict[str, Any]) -> Any:
    """A recording from a link: the link is checked now (400 with the reason), downloaded by the ingest job."""
    if not data.get("url"):
        raise InvalidInput("Send the video's link as 'url', or attach the file as 'file' (multipart/form-data).")
    url = check_url(data["url"], AddressPolicy(settings().url_allowed_hosts))
    db = session()
    recording = recording_service.create_recording(
        db, title=str(data.get("title") or ""), source="url", source_url=url, channel=str(data.get("channel") or ""),
        created_by_id=current_user.id, aired_at=_aired(data))
    events.record(db, "recording.linked", recording, user_id=current_user.id, url=url)
    db.commit()
    queues.enqueue_ingest(redis_conn(), recording.id)
    return jsonify(serialize.recording(recording)), 202


def _aired(data: dict[str, Any]) -> Any:
    """``aired_at`` in the team's time zone (2026-05-01T18:30), or none."""
    return recording_service.parse_air_date(data.get("aired_at"), settings().timezone)


@bp.get("/recordings/<int:recording_id>")
def get_recording(recording_id: int) -> Any:
    return jsonify(serialize.recording(recording_service.get_recording(session(), recording_id)))


@bp.get("/recordings/<int:recording_id>/transcript")
def get_transcript(recording_id: int) -> Any:
    recording = recording_service.get_recording(session(), recording_id)
    segments = [
        {"start": s.start, "end": s.end, "text": s.text, "speaker": s.speaker or None,
         "words": [{"start": w.start, "end": w.end, "text": w.display, "recognised": w.text,
                    "probability": w.probability} for w in s.words]}
        for s in recording.segments
    ]
    return jsonify(recording_id=recording.id, status=recording.status, language=recording.language or None,
                   segments=segments)


@bp.post("/clips")
def create_clip() -> Any:
    data = _body()
    if "recording_id" not in data:
        raise InvalidInput("Say which recording the clip is from ('recording_id').")
    db = session()
    try:
        recording_id = int(data["recording_id"])
    except (TypeError, ValueError):
        raise InvalidInput("'recording_id' must be a number.") from None
    recording = recording_service.get_recording(db, recording_id)
    clip = clip_service.create_clip(
        db, recording, start=data.get("start"), end=data.get("end"), title=str(data.get("title", "")),
        speaker=str(data.get("speaker", "")), presets=data.get("presets"),
        max_seconds=settings().max_clip_seconds, created_by_id=current_user.id)
    events.record(db, "clip.created", clip, user_id=current_user.id)
    db.commit()
    queues.enqueue_preview(redis_conn(), clip.id)  # a rough cut to play within seconds
    return jsonify(serialize.clip(clip, store())), 201


@bp.get("/clips")
def list_clips() -> Any:
    rows = session().scalars(select(Clip).order_by(Clip.id.desc()).limit(200))
    return jsonify(clips=[serialize.clip(c, store()) for c in rows])


@bp.get("/clips/<int:clip_id>")
def get_clip(clip_id: int) -> Any:
    return jsonify(serialize.clip(clip_service.get_clip(session(), clip_id), store()))


@bp.post("/clips/<int:clip_id>/render")
def render_clip(clip_id: int) -> Any:
    clip = clip_service.get_clip(session(), clip_id)
    job = queues.enqueue_render(redis_conn(), clip.id)
    events.record(session(), "clip.render_requested", clip, user_id=current_user.id)
    session().commit()
    return jsonify(clip=serialize.clip(clip, store()), job=queues.job_state(redis_conn(), job.id)), 202


@bp.get("/jobs/<job_id>")
def job_status(job_id: str) -> Any:
    return jsonify(queues.job_state(redis_conn(), job_id))
