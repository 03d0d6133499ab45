"""Alerts: each member of the team sets words to watch for in live transcripts; hits land in their
list (with a link to the moment and a draft clip) and, when they gave one, at their webhook."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from clipper import events
from clipper.errors import ClipperError, Forbidden
from clipper.live import alerts as alert_service
from clipper.models import Alert, AlertHit, Channel
from clipper.urls import AddressPolicy, check_url
from web.db import session, settings
from web.inputs import form_or_json, refused
from workers.jobs.alerts import alert_secret

bp = Blueprint("alerts", __name__)
HITS_SHOWN = 50


def _mine() -> list[Alert]:
    return list(session().scalars(select(Alert).where(Alert.user_id == current_user.id).order_by(Alert.id)))


def _hits(since: int = 0) -> list[AlertHit]:
    mine = [a.id for a in _mine()]
    return list(session().scalars(select(AlertHit).where(AlertHit.alert_id.in_(mine), AlertHit.id > since)
                                  .order_by(AlertHit.id.desc()).limit(HITS_SHOWN)))


def _hit_json(hit: AlertHit) -> dict[str, Any]:
    return {"id": hit.id, "alert_id": hit.alert_id, "recording_id": hit.recording_id, "moment": hit.moment,
            "sentence": hit.sentence, "clip_id": hit.clip_id, "delivery": hit.delivery, "error": hit.error or None,
            "url": url_for("recording_page.page", recording_id=hit.recording_id, t=f"{hit.moment:.2f}")}


@bp.get("/alerts")
def page() -> Any:
    mine = _mine()
    bots = session().scalars(select(Channel).where(Channel.kind == "telegram", Channel.active.is_(True))
                             .order_by(Channel.name)).all()
    return render_template("alerts.html", alerts=mine, hits=_hits(), names={a.id: a.name for a in mine}, bots=bots,
                           secrets={a.id: alert_secret(settings().secret_key, a.id) for a in mine if a.webhook_url})


@bp.post("/api/v1/alerts")
def create() -> Any:
    data = form_or_json()
    db = session()
    try:
        if data.get("telegram_channel_id") and not current_user.has_role("social_lead"):
            raise Forbidden("Only social leads send alerts through the campaign's Telegram bot; a webhook or "
                            "this page's list is yours to use.")
        webhook = str(data.get("webhook_url") or "").strip()
        if webhook:
            webhook = check_url(webhook, AddressPolicy(settings().url_allowed_hosts))
        alert = alert_service.create_alert(db, user_id=current_user.id, name=data.get("name"),
                                           query=data.get("query"), webhook_url=webhook,
                                           telegram_channel_id=data.get("telegram_channel_id"),
                                           telegram_chat=data.get("telegram_chat"), speaker=data.get("speaker"))
    except ClipperError as exc:
        return refused(exc, "alerts.page")
    events.record(db, "alert.created", alert, user_id=current_user.id, query=alert.query)
    db.commit()
    if request.is_json:
        return jsonify(id=alert.id, name=alert.name, query=alert.query, speaker=alert.speaker or None,
                       webhook_url=alert.webhook_url or None,
                       telegram_channel_id=alert.telegram_channel_id, telegram_chat=alert.telegram_chat or None,
                       secret=alert_secret(settings().secret_key, alert.id) if alert.webhook_url else None), 201
    return redirect(url_for("alerts.page"))


@bp.post("/api/v1/alerts/<int:alert_id>/delete")
def delete(alert_id: int) -> Any:
    db = session()
    alert = db.get(Alert, alert_id)
    if alert is None or (alert.user_id != current_user.id and not current_user.has_role("admin")):
        abort(404)  # someone else's alert is not even there for you
    db.delete(alert)
    events.record(db, "alert.deleted", None, user_id=current_user.id, alert=alert_id)
    db.commit()
    return jsonify(deleted=alert_id) if request.is_json or not request.form else redirect(url_for("alerts.page"))


@bp.get("/api/v1/alerts/hits")
def hits() -> Any:
    since = request.args.get("since", "0")
    return jsonify(hits=[_hit_json(h) for h in _hits(int(since) if since.isdigit() else 0)])
