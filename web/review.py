"""Review: social leads approve submitted clips (which queues their renders) or send them back with a reason.

The page lists what waits for review; its forms and the JSON endpoints call the same service functions,
which check the clip's ``version`` so a lead never approves a cut that changed after they watched it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clipper import clips as clip_service
from clipper import glossary
from clipper import review as review_service
from clipper.errors import ClipperError, InvalidInput
from clipper.models import Branding, Clip, User
from web import serialize
from web.auth import role_required
from web.db import redis_conn, session, store
from workers import queues

bp = Blueprint("review", __name__)


@bp.get("/review")
@role_required("social_lead")
def queue() -> Any:
    clips = session().scalars(select(Clip).where(Clip.status == "submitted")
                              .options(selectinload(Clip.recording), selectinload(Clip.renders))
                              .order_by(Clip.updated_at, Clip.id)).all()
    db = session()
    terms = [e.term for e in glossary.list_terms(db)]
    checker = glossary.Checker(terms) if terms else None
    branding = db.get(Branding, 1)  # no row yet: the defaults, which carry no imprint
    imprint = branding.imprint_text if branding else ""
    marked_by = _names(c.created_by_id for c in clips)
    return render_template("review.html", clips=clips,
                           previews={c.id: _preview_url(c) for c in clips},
                           marked_by=marked_by,
                           contexts={c.id: review_service.review_context(db, c, checker=checker, imprint=imprint)
                                     for c in clips})


def _names(user_ids: object) -> dict[int, str]:
    ids = {i for i in user_ids if i}  # type: ignore[attr-defined]
    if not ids:
        return {}
    return {u.id: u.name or u.email for u in session().scalars(select(User).where(User.id.in_(ids)))}


@bp.post("/review/<int:clip_id>")
@role_required("social_lead")
def decide(clip_id: int) -> Any:
    try:
        clip = _decide(clip_id, request.form.get("decision", ""), request.form.get("version"),
                       request.form.get("reason"))
    except ClipperError as exc:
        session().rollback()
        flash(exc.message)
    else:
        flash(f"“{clip.title}” is {clip.status}." + (" Its renders are queued." if clip.status == "approved" else ""))
    return redirect(url_for("review.queue"))


@bp.post("/api/v1/clips/<int:clip_id>/approve")
@role_required("social_lead")
def approve(clip_id: int) -> Any:
    return _answer(clip_id, "approve")


@bp.post("/api/v1/clips/<int:clip_id>/reject")
@role_required("social_lead")
def reject(clip_id: int) -> Any:
    return _answer(clip_id, "reject")


def _answer(clip_id: int, decision: str) -> Any:
    data = request.get_json(silent=True) or {}
    try:
        clip = _decide(clip_id, decision, data.get("version"), data.get("reason"))
    except clip_service.StaleEdit as stale:
        session().rollback()
        return {"error": stale.message, "changes": stale.changes,
                "clip": serialize.clip(stale.current, store())}, 409
    return serialize.clip(clip, store())


def _decide(clip_id: int, decision: str, version: object, reason: object) -> Clip:
    db = session()
    clip = clip_service.get_clip(db, clip_id)
    if decision == "approve":
        clip_service.approve_clip(db, clip, version=version, user_id=current_user.id)
    elif decision == "reject":
        clip_service.reject_clip(db, clip, version=version, reason=reason, user_id=current_user.id)
    else:
        raise InvalidInput("Choose approve or reject.")
    db.commit()
    if clip.status == "approved":
        queues.enqueue_render(redis_conn(), clip.id)
    return clip


def _preview_url(clip: Clip) -> str | None:
    """The rough preview (or a finished render) to watch before deciding."""
    for r in sorted(clip.renders, key=lambda r: r.preset):
        if r.storage_key and r.status in ("preview", "done"):
            return store().url(r.storage_key)
    return None
