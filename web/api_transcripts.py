"""Transcript API: exports (SRT, VTT, text, word JSON), word fixes, the glossary, stopping a transcription."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from clipper import exports, glossary
from clipper.errors import Conflict, InvalidInput
from clipper.models import Event
from clipper.recordings import get_recording
from clipper.speech.store import edit_word, word_fixes
from web.auth import role_required
from web.db import redis_conn, session
from web.permissions import can, require
from workers import queues

bp = Blueprint("api_transcripts", __name__, url_prefix="/api/v1")


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object.")
    return data


@bp.get("/recordings/<int:recording_id>/transcript.<fmt>")
def export_transcript(recording_id: int, fmt: str) -> Any:
    db = session()
    recording = get_recording(db, recording_id)
    checker = glossary.Checker([e.term for e in glossary.list_terms(db)]) if fmt == "json" else None
    body = "".join(exports.export(db, recording, fmt, checker))
    return Response(body, mimetype=exports.FORMATS[fmt], headers={
        "Content-Disposition": f'attachment; filename="recording-{recording.id}.{fmt}"'})


@bp.patch("/recordings/<int:recording_id>/words/<int:idx>")
def fix_word(recording_id: int, idx: int) -> Any:
    data = _json_body()
    if "text" not in data:
        raise InvalidInput("Send the word's new text as 'text' (null undoes the edit).")
    db = session()
    require("recording.fix_word", get_recording(db, recording_id))
    word = edit_word(db, recording_id, idx, data["text"])
    db.add(Event(user_id=current_user.id, action="word.edit", target_type="recording", target_id=recording_id,
                 detail={"idx": idx, "text": word.edited_text, "recognised": word.text}))
    db.commit()
    return jsonify(idx=word.idx, start=word.start, end=word.end, text=word.display, recognised=word.text,
                   edited=word.edited_text is not None, probability=word.probability)


@bp.post("/recordings/<int:recording_id>/transcription/cancel")
@role_required("social_lead")
def cancel_transcription(recording_id: int) -> Any:
    db = session()
    recording = get_recording(db, recording_id)
    require("recording.cancel_transcription", recording)
    if recording.status not in ("queued", "ingesting", "transcribing"):
        raise Conflict(f"Recording {recording_id} is not being transcribed (it is {recording.status}).")
    recording.cancel_requested = True
    db.add(Event(user_id=current_user.id, action="transcription.cancel", target_type="recording",
                 target_id=recording_id, detail={}))
    db.commit()
    return jsonify(id=recording.id, status=recording.status, cancel_requested=True), 202


@bp.post("/recordings/<int:recording_id>/transcription")
@role_required("social_lead")
def queue_transcription(recording_id: int) -> Any:
    """Transcribe again: a cancelled or failed transcription carries on; a ready one starts over.

    Starting over would throw away volunteers' word fixes, so it is refused while there are any, unless an
    admin sends ``{"force": true}`` (recorded in the audit log with how many fixes were dropped).
    """
    db = session()
    recording = get_recording(db, recording_id)
    require("recording.rerun_transcription", recording)
    if not recording.original_key:
        raise Conflict(f"Recording {recording_id} has no media yet (it is {recording.status}).")
    fixes = word_fixes(db, recording_id) if recording.status == "ready" else 0
    force = request.is_json and (request.get_json(silent=True) or {}).get("force") is True
    if fixes and not (force and can("recording.discard_word_fixes", recording)):
        raise Conflict(f"Volunteers have fixed {fixes} word{'s' if fixes != 1 else ''} in this transcript; "
                       "transcribing it again from the start would lose them. Only an admin can force it "
                       "(send {\"force\": true}).")
    db.add(Event(user_id=current_user.id, action="transcription.rerun", target_type="recording",
                 target_id=recording_id, detail={"word_fixes_dropped": fixes}))
    db.commit()
    job = queues.enqueue_transcribe(redis_conn(), recording.id, discard_word_fixes=bool(fixes))
    return jsonify(id=recording.id, job=queues.job_state(redis_conn(), job.id)), 202


@bp.get("/glossary")
@role_required("admin")
def get_glossary() -> Any:
    return jsonify(terms=[{"term": e.term, "note": e.note} for e in glossary.list_terms(session())])


@bp.put("/glossary")
@role_required("admin")
def put_glossary() -> Any:
    terms = _json_body().get("terms")
    if not isinstance(terms, list):
        raise InvalidInput("Send the whole glossary as 'terms': a list of names or {term, note} objects.")
    entries = []
    for t in terms:
        if isinstance(t, str):
            entries.append(glossary.Entry(t))
        elif isinstance(t, dict) and isinstance(t.get("term"), str):
            entries.append(glossary.Entry(t["term"], str(t.get("note") or "")))
        else:
            raise InvalidInput("Each glossary entry is a name, or an object with 'term' (and 'note').")
    db = session()
    saved = glossary.replace_terms(db, entries)
    db.add(Event(user_id=current_user.id, action="glossary.update", target_type="glossary",
                 detail={"count": len(saved)}))
    db.commit()
    return jsonify(terms=[{"term": e.term, "note": e.note} for e in saved])
