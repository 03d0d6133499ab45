"""The recordings list (status and live progress, filter and sort) and the "add a recording" page.

Adding happens in the browser against the JSON API: by URL (``POST /api/v1/recordings`` with JSON
``url``) or by a resumable upload to the tus endpoint ``/api/v1/uploads`` (``static/upload.js``).
The recording page itself (``/recordings/<id>``) is the clipping desk's other half.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select

from clipper.models import RECORDING_STATUSES, Recording
from web.db import session, settings

bp = Blueprint("recordings", __name__)

PAGE_SIZE = 100
SORTS = {
    "added": (Recording.id.desc(),),
    "aired": (Recording.aired_at.desc(), Recording.id.desc()),
    "duration": (Recording.duration.desc(), Recording.id.desc()),
    "title": (func.lower(Recording.title), Recording.id.desc()),
}
SORT_LABELS = {"added": "Newest added", "aired": "Air date", "duration": "Longest", "title": "Title"}
SOURCES = {"upload": "Upload", "url": "Link", "live": "Live stream"}
BUSY = ("queued", "ingesting", "transcribing")


def _filters() -> dict[str, str]:
    args = request.args
    return {
        "q": args.get("q", "").strip()[:200],
        "status": args.get("status", "") if args.get("status", "") in RECORDING_STATUSES else "",
        "source": args.get("source", "") if args.get("source", "") in SOURCES else "",
        "channel": args.get("channel", "").strip()[:200],
        "sort": args.get("sort", "added") if args.get("sort", "added") in SORTS else "added",
    }


def _query(f: dict[str, str]) -> Any:
    query = select(Recording)
    if f["q"]:
        like = f"%{f['q']}%"
        query = query.where(or_(Recording.title.ilike(like), Recording.programme.ilike(like),
                                Recording.channel.ilike(like)))
    if f["status"]:
        query = query.where(Recording.status == f["status"])
    if f["source"]:
        query = query.where(Recording.source == f["source"])
    if f["channel"]:
        query = query.where(Recording.channel == f["channel"])
    return query.order_by(*SORTS[f["sort"]]).limit(PAGE_SIZE)


@bp.get("/recordings")
def index() -> Any:
    f = _filters()
    db = session()
    rows = db.scalars(_query(f)).all()
    channels = [c for c in db.scalars(select(Recording.channel).distinct().order_by(Recording.channel)) if c]
    return render_template("recordings/list.html", recordings=rows, filters=f, statuses=RECORDING_STATUSES,
                           sources=SOURCES, sorts=SORT_LABELS, channels=channels, busy=BUSY)


@bp.get("/recordings/add")
def add() -> Any:
    return render_template("recordings/add.html", max_upload_bytes=settings().max_upload_bytes,
                           sources=SOURCES)
