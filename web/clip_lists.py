"""My clips and all clips: status, render progress, links to the results, and reopening a clip."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clipper import clips as clip_service
from clipper import gallery
from clipper.models import CLIP_STATUSES, Clip
from web import serialize
from web.auth import role_required
from web.db import session, store
from web.permissions import can, require
from web.recording_details import delete_objects

bp = Blueprint("clip_lists", __name__)

REOPENABLE = ("draft", "submitted", "rejected")  # until approved, a clip can be adjusted
STATUS_FILTERS = (*CLIP_STATUSES, "rendering")


def shown_status(clip: Clip) -> str:
    """The status a volunteer cares about: 'rendering' while an approved clip's files are being made."""
    if clip.status == "approved" and any(r.status in ("queued", "rendering") for r in clip.renders):
        return "rendering"
    if clip.status == "approved" and any(r.status == "failed" for r in clip.renders):
        return "render failed"  # the error is beside it, and leads get "Render again"
    return clip.status


def render_progress(clip: Clip) -> float | None:
    if not clip.renders:
        return None
    return sum(1.0 if r.status == "done" else r.progress for r in clip.renders) / len(clip.renders)


def _rows(mine: bool) -> list[dict[str, Any]]:
    query = select(Clip).options(selectinload(Clip.renders), selectinload(Clip.recording))
    if mine:
        query = query.where(Clip.created_by_id == current_user.id)
    status = request.args.get("status", "")
    if status in CLIP_STATUSES and status != "approved":
        query = query.where(Clip.status == status)
    elif status in ("approved", "rendering"):
        query = query.where(Clip.status == "approved")
    rows = []
    for clip in session().scalars(query.order_by(Clip.updated_at.desc(), Clip.id.desc()).limit(200)):
        shown = shown_status(clip)
        if status in ("approved", "rendering") and shown != status:
            continue
        can_reopen = clip.status in REOPENABLE and (clip.created_by_id == current_user.id
                                                    or current_user.has_role("social_lead"))
        rows.append({"clip": clip, "status": shown, "progress": render_progress(clip), "reopen": can_reopen,
                     "delete": may_delete(clip),
                     "renders": [serialize.render(r, store()) for r in sorted(clip.renders, key=lambda r: r.preset)]})
    _public_side(rows)
    return rows


def _public_side(rows: list[dict[str, Any]]) -> None:
    """The gallery link and the privacy-safe download/share counts, for published and withdrawn clips."""
    ids = [row["clip"].id for row in rows]
    slugs, counts = gallery.slugs_for(session(), ids), gallery.counts_for(session(), ids)
    for row in rows:
        row["public"] = slugs.get(row["clip"].id)
        row["counts"] = counts.get(row["clip"].id, {})


def _page(mine: bool) -> Any:
    return render_template("clips/list.html", rows=_rows(mine), mine=mine, statuses=STATUS_FILTERS,
                           status=request.args.get("status", ""))


@bp.get("/clips")
def all_clips() -> Any:
    return _page(mine=False)


@bp.get("/clips/mine")
def mine() -> Any:
    return _page(mine=True)


# --- deleting a draft: its author (or an admin), and only while it is a draft or sent back ---

def may_delete(clip: Clip) -> bool:
    return clip.status in clip_service.DELETABLE_STATUSES and can("clip.delete", clip)


def _delete(clip_id: int) -> Clip:
    db = session()
    clip = clip_service.get_clip(db, clip_id)
    require("clip.delete", clip)  # someone else's: 403 (submitted or approved: 409 from delete_clip)
    clip_service.delete_clip(db, clip, user_id=current_user.id)  # refuses submitted and approved clips
    db.commit()
    delete_objects([f"clips/{clip_id}/", f"previews/{clip_id}/"])
    return clip


@bp.post("/clips/<int:clip_id>/delete")
@role_required("volunteer")
def delete(clip_id: int) -> Any:
    clip = _delete(clip_id)
    flash(f"Deleted the draft “{clip.title or 'Untitled clip'}”.")
    return redirect(request.form.get("next") if request.form.get("next") == url_for("clip_lists.all_clips")
                    else url_for("clip_lists.mine"))


@bp.delete("/api/v1/clips/<int:clip_id>")
@role_required("volunteer")
def api_delete(clip_id: int) -> Any:
    _delete(clip_id)
    return "", 204
