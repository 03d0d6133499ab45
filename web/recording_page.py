"""The recording page: the proxy video beside its transcript, the timeline, and marking a clip.

The page is a server-rendered shell; its scripts (``static/desk/*.js``) fetch the transcript as compact
columns from ``/api/v1/recordings/<id>/words`` and save clips through the JSON endpoints below. Saves
carry the clip's ``version``: a stale one is answered 409 with what changed, never written over.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Integer, cast, func, select

from clipper import clips as clip_service
from clipper import events
from clipper import recordings as recording_service
from clipper import speakers as speaker_service
from clipper.errors import InvalidInput
from clipper.models import Clip, Person, Recording, Segment, Word
from web import serialize
from web.auth import role_required
from web.db import redis_conn, session, settings, store
from web.permissions import require
from web.recording_details import may_edit
from workers import queues

bp = Blueprint("recording_page", __name__)

# Longest clip each platform takes, in seconds; the page shows the clip's duration against them.
PLATFORM_LIMITS = (("YouTube Shorts", 180), ("Instagram Reels", 90), ("X", 140), ("TikTok", 600))
NO_SPEECH = ("No speech was found in this recording: it holds only silence, music or noise. If someone does speak "
             "in it, check that the right file was added.")


@bp.get("/recordings/<int:recording_id>")
def page(recording_id: int) -> Any:
    recording = recording_service.get_recording(session(), recording_id)
    config = {
        "recording": _recording_info(recording),
        "maxClipSeconds": settings().max_clip_seconds,
        "platforms": [{"name": n, "seconds": s} for n, s in PLATFORM_LIMITS],
        # what the renderer refuses past (settings): the page warns before a volunteer saves
        "presetLimits": [{"name": name, "seconds": getattr(settings(), f"render_max_{name}_seconds")}
                         for name in ("landscape", "square", "vertical")],
        "people": _people(),
        "timezone": settings().timezone,  # wall-clock times on the page: the team's zone, 24-hour
        "urls": {
            "words": f"/api/v1/recordings/{recording.id}/words",
            "clips": f"/api/v1/recordings/{recording.id}/clips",
            "clip": "/api/v1/clips/",
            "login": "/login",
        },
    }
    # The JSON goes into a <script type="application/json">; escaping "<" keeps "</script>" in a title inert.
    blob = json.dumps(config).replace("<", "\\u003c")
    return render_template("recording.html", recording=recording, config=blob, aired=_local(recording.aired_at),
                           speakers=speaker_service.list_speakers(session(), recording.id), people=config["people"],
                           may_edit=may_edit(recording))


@bp.get("/api/v1/recordings/<int:recording_id>/speakers")
def speakers(recording_id: int) -> Any:
    db = session()
    recording_service.get_recording(db, recording_id)
    return jsonify(speakers=[_speaker(s) for s in speaker_service.list_speakers(db, recording_id)])


@bp.post("/api/v1/recordings/<int:recording_id>/speakers")
@role_required("volunteer")
def name_speaker(recording_id: int) -> Any:
    """``{"label": "Speaker 1", "name": "Jo Bloggs"}`` or ``{"label": ..., "person_id": 3}``: names every turn."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send the speaker as a JSON object.")
    speaker = _name(recording_id, data.get("label"), data.get("name"), data.get("person_id"))
    return jsonify(_speaker(speaker))


@bp.post("/recordings/<int:recording_id>/speakers")
@role_required("volunteer")
def name_speaker_form(recording_id: int) -> Any:
    form = request.form
    person = form.get("person_id", "").strip()
    if person and not person.isdigit():
        raise InvalidInput("Pick someone from the People list.")
    speaker = _name(recording_id, form.get("label"), form.get("name", ""), int(person) if person else None)
    flash(f"{speaker.label} is now {speaker.display} in every turn of this recording.")
    return redirect(url_for("recording_page.page", recording_id=recording_id) + "#speakers")


def _name(recording_id: int, label: Any, name: Any, person_id: Any) -> Any:
    db = session()
    recording = recording_service.get_recording(db, recording_id)
    if not isinstance(label, str) or not label:
        raise InvalidInput("Say which speaker to name (for example \"Speaker 1\").")
    if name is not None and not isinstance(name, str):
        raise InvalidInput("The speaker's name must be text.")
    if person_id is not None and (not isinstance(person_id, int) or isinstance(person_id, bool)):
        raise InvalidInput("Pick someone from the People list.")
    speaker = speaker_service.name_speaker(db, recording.id, label, name=name or "", person_id=person_id)
    events.record(db, "recording.speaker_named", recording, user_id=current_user.id, label=label,
                  name=speaker.name)
    db.commit()
    return speaker


def _speaker(s: Any) -> dict[str, Any]:
    return {"label": s.label, "name": s.name or None, "person_id": s.person_id, "seconds": round(s.seconds, 1)}


@bp.get("/api/v1/recordings/<int:recording_id>/words")
def words(recording_id: int) -> Any:
    """The transcript as columns: ``s``/``e`` word starts and ends in milliseconds, ``w`` the texts (with
    fixes), ``seg`` the index of each segment's first word and ``spk`` its speaker (speaker turns),
    ``unsure`` the words the model was unsure of, ``note`` what to show instead of words when a finished
    transcription has none. Word indexes are ``Word.idx`` (0..n-1, in order).
    ``?after=N`` gives the words from index N on (``from``): a live desk's transcript grows by them."""
    db = session()
    recording = recording_service.get_recording(db, recording_id)
    after = request.args.get("after", "0")
    if not after.isdigit():
        raise InvalidInput("after must be a word index (0 or more).")
    first = int(after)  # a live desk asks only for the words stored since it last asked (words are only added)
    conn = db.connection()  # plain rows, and the database does the per-word work: ~30,000 words in 3 hours
    ms = lambda column: cast(func.round(column * 1000), Integer)  # noqa: E731
    result = conn.execute(
        select(ms(Word.start), ms(Word.end), func.trim(func.coalesce(Word.edited_text, Word.text)))
        .where(Word.recording_id == recording_id, Word.idx >= first).order_by(Word.idx))
    rows = result.cursor.fetchall()  # the driver's tuples (ints and text): no per-row objects
    result.close()
    starts, ends, texts = (list(col) for col in zip(*rows, strict=True)) if rows else ([], [], [])
    turns = conn.execute(
        select(func.min(Word.idx), Segment.speaker).join(Word, Word.segment_id == Segment.id)
        .where(Segment.recording_id == recording_id).group_by(Segment.id, Segment.speaker)
        .having(func.max(Word.idx) >= first).order_by(func.min(Word.idx))
    ).all()
    unsure = conn.scalars(select(Word.idx).where(Word.recording_id == recording_id, Word.idx >= first,
                                                 Word.probability < 0.5)).all()
    body = json.dumps({"recording_id": recording.id, "status": recording.status, "duration": recording.duration,
                       "transcribed_until": recording.transcribed_until, "from": first, "count": len(texts),
                       "s": starts, "e": ends, "w": texts, "seg": [max(first, t[0]) for t in turns],
                       "spk": [t[1] or "" for t in turns], "unsure": list(unsure),
                       "note": NO_SPEECH if recording.status == "ready" and not first and not texts else None},
                      separators=(",", ":"))
    return Response(body, mimetype="application/json", headers={"Cache-Control": "private, no-cache"})


@bp.get("/api/v1/recordings/<int:recording_id>/clips")
def recording_clips(recording_id: int) -> Any:
    db = session()
    recording_service.get_recording(db, recording_id)
    rows = db.scalars(select(Clip).where(Clip.recording_id == recording_id).order_by(Clip.start))
    return jsonify(clips=[_clip_brief(c) for c in rows])


@bp.post("/api/v1/recordings/<int:recording_id>/clips")
@role_required("volunteer")
def create_clip(recording_id: int) -> Any:
    data = _json()
    db = session()
    recording = recording_service.get_recording(db, recording_id)
    require("clip.create", recording)
    clip = clip_service.create_clip(
        db, recording, start=data.get("start"), end=data.get("end"), title=_str(data, "title"),  # type: ignore[arg-type]
        speaker=_str(data, "speaker") or _turn_speaker(db, recording_id, data),  # the strap names who speaks
        presets=data.get("presets"), max_seconds=settings().max_clip_seconds,
        created_by_id=current_user.id, tags=data.get("tags"), post_copy=_str(data, "post_copy"))
    if data.get("caption_words"):
        clip.caption_words = clip_service.fix_caption_words(clip.caption_words, data["caption_words"])
    events.record(db, "clip.created", clip, user_id=current_user.id)
    db.commit()
    return jsonify(_clip_full(clip)), 201


@bp.patch("/api/v1/clips/<int:clip_id>")
@role_required("volunteer")
def update_clip(clip_id: int) -> Any:
    data = _json()
    db = session()
    clip = clip_service.get_clip(db, clip_id)
    require("clip.edit", clip)
    try:
        clip_service.update_clip(db, clip, data, version=data.get("version"),
                                 max_seconds=settings().max_clip_seconds, user_id=current_user.id)
    except clip_service.StaleEdit as stale:
        db.rollback()
        return jsonify(error=stale.message, changes=stale.changes, clip=_clip_full(stale.current)), 409
    db.commit()
    if clip.status == "submitted":
        queues.enqueue_preview(redis_conn(), clip.id)  # the reviewer watches the cut as it is now
    return jsonify(_clip_full(clip))


@bp.post("/api/v1/clips/<int:clip_id>/submit")
@role_required("volunteer")
def submit_clip(clip_id: int) -> Any:
    data = _json()
    db = session()
    clip = clip_service.get_clip(db, clip_id)
    require("clip.submit", clip)
    try:
        clip_service.submit_clip(db, clip, version=data.get("version"), user_id=current_user.id)
    except clip_service.StaleEdit as stale:
        db.rollback()
        return jsonify(error=stale.message, changes=stale.changes, clip=_clip_full(stale.current)), 409
    db.commit()
    queues.enqueue_preview(redis_conn(), clip.id)  # a rough cut for the review page, within seconds
    return jsonify(_clip_full(clip))


def _turn_speaker(db: Any, recording_id: int, data: dict[str, Any]) -> str:
    start, end = data.get("start"), data.get("end")
    if isinstance(start, int | float) and isinstance(end, int | float) and end > start:
        return speaker_service.speaker_at(db, recording_id, float(start), float(end))
    return ""


def _recording_info(recording: Recording) -> dict[str, Any]:
    key = recording.proxy_key or recording.original_key  # until a proxy exists the original plays
    probe = recording.probe or {}
    live = recording.status == "live"  # the page follows the transcript as it grows
    # A live recording plays its stored segments' playlist, on air and after: the playlist keeps air the
    # recorder missed as gaps, so the player's clock stays the recording's (a joined file would close them).
    hls = recording.source == "live"
    media = url_for("live.playlist", recording_id=recording.id) if hls else store().url(key) if key else None
    return {
        "id": recording.id, "title": recording.title, "status": recording.status, "duration": recording.duration,
        "live": live, "hls": hls, "transcribedUntil": recording.transcribed_until,
        "progress": recording.progress, "error": recording.error or None, "channel": recording.channel,
        "fps": probe.get("fps") or 25.0, "hasVideo": bool(probe.get("has_video", probe.get("width"))),
        "media": media,
        "peaks": store().url(recording.peaks_key) if recording.peaks_key else None,
    }


def _local(value: datetime | None) -> str:
    """A stored UTC time in the team's time zone."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(settings().timezone)).strftime("%d %b %Y %H:%M")


def _people() -> list[dict[str, Any]]:
    rows = session().scalars(select(Person).where(Person.active.is_(True)).order_by(Person.name))
    return [{"id": p.id, "name": p.name, "label": p.label} for p in rows]


def _clip_brief(c: Clip) -> dict[str, Any]:
    return {"id": c.id, "start": c.start, "end": c.end, "title": c.title, "status": c.status, "version": c.version}


def _clip_full(c: Clip) -> dict[str, Any]:
    return serialize.clip(c, store()) | {"editable": c.status in clip_service.EDITABLE_STATUSES,
                                         "caption_warnings": _caption_warnings(c)}


def _caption_warnings(c: Clip) -> list[dict[str, Any]]:
    """Caption words that look like a misspelt glossary name, for the volunteer to check."""
    from clipper import glossary

    terms = [e.term for e in glossary.list_terms(session())]
    if not terms:
        return []
    checker = glossary.Checker(terms)
    found = ((w, checker.warnings(str(w["text"]))) for w in c.caption_words)
    return [{"start": w["start"], "text": w["text"], "warnings": ws} for w, ws in found if ws]


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send the clip as a JSON object.")
    return data


def _str(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(f"The clip's {name.replace('_', ' ')} must be text.")
    return value
