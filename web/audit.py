"""The audit page: who marked, submitted, approved, withdrew, scheduled, posted and deleted what, and when.

Read from the events table (``clipper/events.py``), newest first; social leads and admins see it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import or_, select

from clipper.models import Clip, Event, Recording, User
from web.auth import role_required
from web.db import session

bp = Blueprint("audit", __name__)

PAGE = 300
# what a lead asks the log about -> the actions that answer it (SQL LIKE patterns: posting adds its own)
KINDS: dict[str, tuple[str, ...]] = {
    "marked": ("clip.created",),
    "submitted": ("clip.submitted",),
    "approved": ("clip.approved",),
    "rejected": ("clip.rejected",),
    "withdrew": ("%withdr%",),
    "scheduled": ("%schedul%",),
    "posted": ("post.sent", "post.posted", "post.published", "%.posted"),
    "deleted": ("%.deleted",),
}
LABELS = {"clip.created": "marked", "clip.updated": "changed", "clip.submitted": "submitted for review",
          "clip.approved": "approved", "clip.rejected": "rejected", "clip.deleted": "deleted",
          "clip.render_requested": "asked for renders", "recording.uploaded": "uploaded",
          "recording.linked": "added by link", "recording.deleted": "deleted", "recording.updated": "edited"}


def label(action: str) -> str:
    if action in LABELS:
        return LABELS[action]
    verb = action.rsplit(".", 1)[-1].replace("_", " ")
    return {"withdrawn": "withdrew", "sent": "posted", "published": "posted"}.get(verb, verb)


@bp.get("/review/audit")
@role_required("social_lead")
def log() -> Any:
    kind = request.args.get("kind", "")
    query = select(Event).order_by(Event.at.desc(), Event.id.desc()).limit(PAGE)
    patterns = KINDS.get(kind) or (() if kind == "all" else tuple(p for ps in KINDS.values() for p in ps))
    if patterns:
        query = query.where(or_(*(Event.action.like(p) for p in patterns)))
    db = session()
    events = db.scalars(query).all()
    users = _by_id(db, User, {e.user_id for e in events})
    clips = _by_id(db, Clip, {e.target_id for e in events if e.target_type == "clip"})
    recordings = _by_id(db, Recording, {e.target_id for e in events if e.target_type == "recording"})
    rows = []
    for e in events:
        who = users.get(e.user_id)
        target = clips.get(e.target_id) if e.target_type == "clip" else (
            recordings.get(e.target_id) if e.target_type == "recording" else None)
        rows.append({"event": e, "who": (who.name or who.email) if who else "", "what": label(e.action),
                     "target": target, "title": (getattr(target, "title", "") or str(e.detail.get("title", ""))),
                     "href": _href(e.target_type, target)})
    return render_template("audit.html", rows=rows, kinds=["all", *KINDS], kind=kind)


def _by_id(db: Any, model: Any, ids: set[Any]) -> dict[int, Any]:
    ids = {i for i in ids if i}
    return {r.id: r for r in db.scalars(select(model).where(model.id.in_(ids)))} if ids else {}


def _href(target_type: str, target: Any) -> str:
    if target is None:
        return ""
    if target_type == "clip":
        return f"/recordings/{target.recording_id}?clip={target.id}"
    if target_type == "recording":
        return f"/recordings/{target.id}"
    return ""
