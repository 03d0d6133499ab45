"""A recording's details (title, channel, programme, air date) and deleting a recording.

Whoever added a recording, social leads and admins may correct its details; only admins delete one, after
a confirmation page that says what goes with it (its clips, renders and every stored object). The deletion
is recorded in the event log with the title, so the audit page still says what it was.
"""

from __future__ import annotations

import logging
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from clipper import events
from clipper import recordings as recording_service
from clipper.errors import ClipperError
from clipper.models import Clip, Recording, Render
from web.auth import role_required
from web.db import session, settings, store

bp = Blueprint("recording_details", __name__)
log = logging.getLogger(__name__)


def may_edit(recording: Recording) -> bool:
    return recording.created_by_id == current_user.id or current_user.has_role("social_lead")


def local_input(recording: Recording) -> str:
    """The air date as a datetime-local value in the team's time zone."""
    if recording.aired_at is None:
        return ""
    zone = ZoneInfo(settings().timezone)
    return recording.aired_at.replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%dT%H:%M")


@bp.get("/recordings/<int:recording_id>/edit")
@role_required("volunteer")
def edit(recording_id: int) -> Any:
    recording = recording_service.get_recording(session(), recording_id)
    if not may_edit(recording):
        abort(403)
    return render_template("recordings/edit.html", recording=recording, aired=local_input(recording))


@bp.post("/recordings/<int:recording_id>/edit")
@role_required("volunteer")
def save(recording_id: int) -> Any:
    db = session()
    recording = recording_service.get_recording(db, recording_id)
    if not may_edit(recording):
        abort(403)
    form = request.form
    try:
        aired = recording_service.parse_air_date(form.get("aired_at"), settings().timezone)
        before = {"title": recording.title, "aired_at": str(recording.aired_at or "")}
        recording_service.update_details(recording, title=form.get("title"), channel=form.get("channel"),
                                         programme=form.get("programme"), aired_at=aired)
    except ClipperError as exc:
        db.rollback()
        flash(exc.message)
        return render_template("recordings/edit.html", recording=recording, aired=form.get("aired_at", ""),
                               form=form), exc.status
    events.record(db, "recording.updated", recording, user_id=current_user.id, before=before,
                  title=recording.title, aired_at=str(recording.aired_at or ""))
    db.commit()
    flash("Saved the recording's details.")
    return redirect(url_for("recording_page.page", recording_id=recording.id))


def _what_goes(recording: Recording) -> dict[str, Any]:
    db = session()
    clips = db.scalars(select(Clip).where(Clip.recording_id == recording.id)).all()
    renders = db.scalar(select(func.count()).select_from(Render).join(Clip)
                        .where(Clip.recording_id == recording.id)) or 0
    keys = [k for prefix in recording_service.object_prefixes(recording, [c.id for c in clips])
            for k in store().keys(prefix)]
    return {"clips": clips, "renders": renders, "keys": keys}


@bp.get("/recordings/<int:recording_id>/delete")
@role_required("admin")
def confirm_delete(recording_id: int) -> Any:
    recording = recording_service.get_recording(session(), recording_id)
    return render_template("recordings/delete.html", recording=recording, **_what_goes(recording))


@bp.post("/recordings/<int:recording_id>/delete")
@role_required("admin")
def delete(recording_id: int) -> Any:
    db = session()
    recording = recording_service.get_recording(db, recording_id)
    if request.form.get("confirm") != "delete":
        flash("Tick the box to confirm that the recording and everything made from it are deleted.")
        return render_template("recordings/delete.html", recording=recording, **_what_goes(recording)), 400
    goes = _what_goes(recording)
    clip_ids = [c.id for c in goes["clips"]]
    title = recording.title
    events.record(db, "recording.deleted", recording, user_id=current_user.id, title=title, clips=clip_ids,
                  renders=goes["renders"], objects=len(goes["keys"]))
    recording_service.delete_recording(db, recording)
    db.commit()  # the rows go first: a stored object left behind is harmless, a row without its file is not
    left = delete_objects(recording_service.object_prefixes(recording, clip_ids))
    flash(f"Deleted “{title}” with {len(clip_ids)} clip(s) and {len(goes['keys']) - left} stored file(s)."
          + (f" {left} file(s) could not be removed from storage; an admin can remove them later." if left else ""))
    return redirect(url_for("recordings.index"))


def delete_objects(prefixes: list[str]) -> int:
    """Delete every object under ``prefixes``; returns how many could not be deleted (logged)."""
    left = 0
    for prefix in prefixes:
        for key in store().keys(prefix):
            try:
                store().delete(key)
            except Exception:  # storage down: the record is gone already; say so rather than fail the page
                log.exception("could not delete %s", key)
                left += 1
    return left
