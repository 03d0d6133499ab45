"""The team's side of the gallery: social leads withdraw a published clip or publish it again.

A form action on the clip list and two API routes call the same function. The database says
``withdrawn`` first (the page answers 410 at once), then the objects leave public reach (S3: moved
out of ``clips/``; the local store refuses their signed links instead). Both are recorded with who
did it. This module never imports the public pages; it only empties their page cache.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from clipper import clips as clip_service
from clipper import gallery
from clipper.errors import ClipperError, StorageError
from clipper.models import Publication
from storage import visibility
from web.auth import role_required
from web.db import session, store
from web.page_cache import page_cache

bp = Blueprint("publishing", __name__)


@bp.post("/clips/<int:clip_id>/withdraw")
@role_required("social_lead")
def withdraw_form(clip_id: int) -> Any:
    return _form(clip_id, "withdraw")


@bp.post("/clips/<int:clip_id>/republish")
@role_required("social_lead")
def republish_form(clip_id: int) -> Any:
    return _form(clip_id, "republish")


@bp.post("/api/v1/clips/<int:clip_id>/withdraw")
@role_required("social_lead")
def withdraw(clip_id: int) -> Any:
    return _state(change(clip_id, "withdraw"))


@bp.post("/api/v1/clips/<int:clip_id>/publish")
@role_required("social_lead")
def republish(clip_id: int) -> Any:
    return _state(change(clip_id, "republish"))


def change(clip_id: int, action: str) -> Publication:
    db = session()
    clip = clip_service.get_clip(db, clip_id)
    act = gallery.withdraw if action == "withdraw" else gallery.republish
    pub = act(db, clip, user_id=current_user.id)
    db.commit()
    page_cache().clear()
    if visibility.hides_by_moving(store()):
        keys = gallery.object_keys(pub)
        try:
            if action == "withdraw":
                visibility.hide(store(), keys)
            else:
                visibility.restore(store(), keys)
        except ClipperError as exc:
            raise StorageError(f"The clip is {pub.status}, but its files could not be moved "
                               f"{'out of' if action == 'withdraw' else 'back into'} public storage: {exc.message} "
                               f"Try again.") from exc
    return pub


def _form(clip_id: int, action: str) -> Any:
    try:
        pub = change(clip_id, action)
    except ClipperError as exc:
        session().rollback()
        flash(exc.message)
    else:
        flash(f"“{pub.title}” is {pub.status}." + (" Its page and files are no longer public." if
                                                   pub.status == "withdrawn" else " It is back in the gallery."))
    return redirect(request.referrer if _same_site(request.referrer) else url_for("clip_lists.all_clips"))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)  # type: ignore[union-attr]


def _state(pub: Publication) -> Any:
    return {"clip_id": pub.clip_id, "slug": pub.slug, "status": pub.status,
            "withdrawn_at": pub.withdrawn_at.isoformat() + "Z" if pub.withdrawn_at else None}
