"""Live sources: social leads and admins add a broadcast's stream and start or stop its recorder;
everyone on the team sees what is recording (the recording itself is an ordinary recording page)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from clipper import events
from clipper import recordings as recording_service
from clipper.errors import ClipperError, InvalidInput, NotFound
from clipper.live import sources
from clipper.live.mp4 import split_init
from clipper.live.playlist import live_playlist
from clipper.models import LiveSegment, LiveSource
from clipper.urls import AddressPolicy
from web.auth import role_required
from web.db import session, settings, store
from web.inputs import form_or_json, refused

bp = Blueprint("live", __name__)


def _json(source: LiveSource) -> dict[str, Any]:
    return {"id": source.id, "name": source.name, "url": source.url, "channel": source.channel,
            "segment_seconds": source.segment_seconds, "active": source.active, "status": source.status,
            "error": source.error or None, "recording_id": source.recording_id, "schedule": source.schedule}


@bp.get("/live")
def page() -> Any:
    rows = session().scalars(select(LiveSource).order_by(LiveSource.name)).all()
    return render_template("live.html", sources=rows, may_edit=current_user.has_role("social_lead"),
                           timezone=settings().timezone)


@bp.get("/api/v1/live-sources")
def list_sources() -> Any:
    rows = session().scalars(select(LiveSource).order_by(LiveSource.name)).all()
    return jsonify(sources=[_json(s) for s in rows])


@bp.post("/api/v1/live-sources")
@role_required("social_lead")
def create() -> Any:
    data = form_or_json()
    db = session()
    try:
        source = sources.create_source(db, name=data.get("name"), url=data.get("url"), channel=data.get("channel"),
                                       segment_seconds=data.get("segment_seconds") or 30.0,
                                       policy=AddressPolicy(settings().url_allowed_hosts), created_by_id=current_user.id,
                                       schedule=data.get("schedule"))
    except ClipperError as exc:
        return refused(exc, "live.page")
    events.record(db, "live_source.created", source, user_id=current_user.id, url=source.url)
    db.commit()
    return (jsonify(_json(source)), 201) if request.is_json else redirect(url_for("live.page"))


@bp.post("/api/v1/live-sources/<int:source_id>/schedule")
@role_required("social_lead")
def schedule(source_id: int) -> Any:
    """``{"schedule": "Mon-Fri 12:00-13:00"}`` (the team's time zone; empty: no schedule)."""
    data = form_or_json()
    db = session()
    source = sources.get_source(db, source_id)
    try:
        sources.set_schedule(source, data.get("schedule"))
    except ClipperError as exc:
        return refused(exc, "live.page")
    events.record(db, "live_source.schedule", source, user_id=current_user.id, schedule=source.schedule)
    db.commit()
    if request.is_json:
        return jsonify(_json(source))
    flash(f"{source.name}: " + (f"records {source.schedule} ({settings().timezone})." if source.schedule
                                else "no schedule; start it by hand."))
    return redirect(url_for("live.page"))


@bp.post("/api/v1/live-sources/<int:source_id>/start")
@role_required("social_lead")
def start(source_id: int) -> Any:
    return _switch(source_id, "start")


@bp.post("/api/v1/live-sources/<int:source_id>/stop")
@role_required("social_lead")
def stop(source_id: int) -> Any:
    return _switch(source_id, "stop")


def _switch(source_id: int, action: str) -> Any:
    db = session()
    source = sources.get_source(db, source_id)
    sources.set_active(source, action == "start")
    events.record(db, f"live_source.{action}", source, user_id=current_user.id)
    db.commit()
    if request.is_json or not request.form:
        return jsonify(_json(source))
    flash(f"{source.name}: {'recording starts in a few seconds' if action == 'start' else 'stopping'}.")
    return redirect(url_for("live.page"))


@bp.get("/recordings/<int:recording_id>/live.m3u8")
def playlist(recording_id: int) -> Any:
    """What a live recording has stored so far, for the desk's player (signed links, fetched again as it grows)."""
    db = session()
    recording = recording_service.get_recording(db, recording_id)
    rows = db.scalars(select(LiveSegment).where(LiveSegment.recording_id == recording.id)).all()

    def link(row: LiveSegment, part: str) -> str:
        if part:
            return url_for("live.fragments", recording_id=recording.id, idx=row.idx, part=part)
        return url_for("live.segment", recording_id=recording.id, idx=row.idx)

    body = live_playlist(rows, link, ended=recording.status != "live")
    return Response(body, mimetype="application/vnd.apple.mpegurl", headers={"Cache-Control": "private, no-cache"})


@bp.get("/recordings/<int:recording_id>/live/<int:idx>.ts")
def segment(recording_id: int, idx: int) -> Any:
    """One stored MPEG-TS segment, from this site: the player's requests stay same-origin (object storage
    on another host would need CORS for hls.js) and behind the team's login."""
    row = _stored_segment(recording_id, idx, ".ts")
    local = getattr(store(), "local_path", None)
    source = local(row.storage_key) if local else store().open(row.storage_key)
    response = send_file(source, mimetype="video/mp2t", max_age=3600, conditional=True)
    response.headers["Cache-Control"] = "private, max-age=3600"  # a stored segment never changes
    return response


@bp.get("/recordings/<int:recording_id>/live/<int:idx>.mp4")
def fragments(recording_id: int, idx: int) -> Any:
    """A stored fragmented-MP4 segment as HLS wants it: ``?part=init`` its initialisation section (the
    playlist's ``EXT-X-MAP``), ``?part=media`` its fragments."""
    part = request.args.get("part", "")
    if part not in ("init", "media"):
        raise InvalidInput("Ask for part=init or part=media of a fragmented-MP4 segment.")
    row = _stored_segment(recording_id, idx, ".mp4")
    with store().open(row.storage_key) as fh:
        init, media = split_init(fh.read())
    return Response(init if part == "init" else media, mimetype="video/mp4",
                    headers={"Cache-Control": "private, max-age=3600"})


def _stored_segment(recording_id: int, idx: int, suffix: str) -> LiveSegment:
    db = session()
    recording = recording_service.get_recording(db, recording_id)
    row = db.scalars(select(LiveSegment).where(LiveSegment.recording_id == recording.id,
                                               LiveSegment.idx == idx)).first()
    if row is None or not row.storage_key.endswith(suffix) or not store().exists(row.storage_key):
        raise NotFound(f"Segment {idx} of this live recording is not stored.")
    return row
