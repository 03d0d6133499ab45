"""Social leads: the composer on an approved clip, the calendar of posts, and what can be done to a post.

Times are typed and shown in ``CLIPPER_TIMEZONE`` and stored in UTC (clipper/schedule.py); every post
goes to the publish queue for its time (workers/queues.py), and the post row says where it stands.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from clipper import clips as clip_service
from clipper import posts
from clipper.composer import POSTABLE, Draft, compose, limits_for, with_imprint
from clipper.errors import ClipperError, InvalidInput
from clipper.models import Branding, Channel, Clip, Post, utcnow
from clipper.schedule import check_future, parse_local, span, utc_to_local
from clipper.settings import Settings
from web.auth import role_required
from web.db import redis_conn, session, store
from workers import queues

bp = Blueprint("posting", __name__)
STATUS_LABELS = {"scheduled": "Scheduled", "sending": "Sending", "sent": "Sent", "failed": "Failed",
                 "unconfirmed": "Unconfirmed: check the account", "cancelled": "Cancelled"}


def _tz() -> str:
    settings: Settings = current_app.config["CLIPPER"]
    return settings.timezone


def _local_input(value: datetime) -> str:
    return utc_to_local(value, _tz()).strftime("%Y-%m-%dT%H:%M")


@bp.get("/clips/<int:clip_id>/compose")
@role_required("social_lead")
def compose_page(clip_id: int) -> Any:
    return _composer(clip_service.get_clip(session(), clip_id))


def _composer(clip: Clip, status: int = 200, error: str = "") -> Any:
    db = session()
    channels = db.scalars(select(Channel).where(Channel.active.is_(True)).order_by(Channel.name)).all()
    renders = {r.preset: r for r in clip.renders if r.status == "done" and r.storage_key}
    branding = db.get(Branding, 1)
    soon = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    limits = {c.id: limits_for(c).as_dict() for c in channels}
    return render_template("posting/compose.html", clip=clip, channels=channels, renders=renders, limits=limits,
                           imprint=with_imprint("", branding), default_at=_local_input(soon), tz=_tz(),
                           error=error, form=request.form if request.method == "POST" else {},
                           preview=store().url(renders["vertical"].storage_key) if "vertical" in renders else None,
                           postable=clip.status in POSTABLE), status


@bp.post("/clips/<int:clip_id>/compose")
@role_required("social_lead")
def schedule(clip_id: int) -> Any:
    db = session()
    clip = clip_service.get_clip(db, clip_id)
    drafts = [Draft(int(cid), request.form.get(f"preset-{cid}", "vertical"), request.form.get(f"text-{cid}", ""),
                    request.form.get("alt_text", ""))
              for cid in request.form.getlist("channel") if cid.isdigit()]
    now = utcnow()
    try:
        when = now if request.form.get("when") == "now" else parse_local(request.form.get("at", ""), _tz())
        made = compose(db, clip, drafts, when, now=now, tz_name=_tz(), user_id=current_user.id)
        db.commit()
    except ClipperError as exc:
        db.rollback()
        if not exc.expected:
            raise
        return _composer(clip, 400, exc.message)
    for post in made:
        queues.enqueue_publish(redis_conn(), post.id, at=post.due_at)
    shown = utc_to_local(when, _tz())
    flash(f"{'Posting now' if request.form.get('when') == 'now' else f'Scheduled for {shown:%a %d %b %H:%M}'} on "
          f"{len(made)} channel{'s' if len(made) != 1 else ''}.")
    return redirect(url_for("posting.calendar", date=shown.date().isoformat()))


@bp.get("/calendar")
@role_required("social_lead")
def calendar() -> Any:
    db = session()
    tz = _tz()
    try:
        around = date.fromisoformat(request.args.get("date", "")) if request.args.get("date") else None
    except ValueError:
        raise InvalidInput("Choose a date like 2026-03-29.") from None
    around = around or utc_to_local(utcnow(), tz).date()
    view = span(request.args.get("view", "week"), around, tz)
    channel_id = request.args.get("channel", type=int)
    query = (select(Post).where(Post.scheduled_at >= view.start_utc, Post.scheduled_at < view.end_utc)
             .options(selectinload(Post.channel)).order_by(Post.scheduled_at, Post.id))
    if channel_id:
        query = query.where(Post.channel_id == channel_id)
    by_day: dict[date, list[Post]] = defaultdict(list)
    rows = db.scalars(query).all()
    for post in rows:
        by_day[utc_to_local(post.scheduled_at, tz).date()].append(post)
    clips = {c.id: c for c in db.scalars(select(Clip).where(Clip.id.in_({p.clip_id for p in rows})))}
    ready = db.scalars(select(Clip).where(Clip.status.in_(POSTABLE)).order_by(Clip.updated_at.desc()).limit(20)).all()
    attention = db.scalars(select(Post).where(Post.status.in_(("unconfirmed", "failed")))
                           .options(selectinload(Post.channel)).order_by(Post.scheduled_at.desc()).limit(50)).all()
    channels = db.scalars(select(Channel).order_by(Channel.name)).all()
    return render_template("posting/calendar.html", view=view, by_day=by_day, clips=clips, ready=ready,
                           channels=channels, channel_id=channel_id, tz=tz, labels=STATUS_LABELS,
                           attention=attention, local_input=_local_input, today=utc_to_local(utcnow(), tz).date())


def _back(post: Post | None = None) -> Any:
    target = request.form.get("next", "")
    if target.startswith("/calendar"):
        return redirect(target)
    return redirect(url_for("posting.calendar", date=utc_to_local(post.scheduled_at, _tz()).date().isoformat()
                            if post else None))


@bp.post("/posts/<int:post_id>/reschedule")
@role_required("social_lead")
def reschedule(post_id: int) -> Any:
    db = session()
    when = parse_local(request.form.get("at", ""), _tz())
    check_future(when, utcnow(), _tz())
    post = posts.reschedule(db, post_id, when, user_id=current_user.id)
    queues.enqueue_publish(redis_conn(), post.id, at=post.due_at)
    flash(f"Moved to {utc_to_local(when, _tz()):%a %d %b %H:%M}.")
    return _back(post)


@bp.post("/posts/<int:post_id>/cancel")
@role_required("social_lead")
def cancel(post_id: int) -> Any:
    post = posts.cancel(session(), post_id, user_id=current_user.id, reason="Cancelled by " + current_user.name)
    flash("Cancelled: it will not be posted.")
    return _back(post)


@bp.post("/posts/<int:post_id>/now")
@role_required("social_lead")
def post_now(post_id: int) -> Any:
    post = posts.reschedule(session(), post_id, utcnow(), user_id=current_user.id)
    queues.enqueue_publish(redis_conn(), post.id)
    flash("Posting now.")
    return _back(post)


@bp.post("/posts/<int:post_id>/confirm")
@role_required("social_lead")
def confirm(post_id: int) -> Any:
    post = posts.mark_checked(session(), post_id, user_id=current_user.id, url=request.form.get("url", "").strip())
    flash("Marked as sent.")
    return _back(post)
