"""The air-to-clip timer of live recordings: per stage p50/p95 over the last day and week, and the recent
clips with their times (``clipper.live.timer`` finds the moments). Anyone on the team may read it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request

from clipper.live import timer
from clipper.models import utcnow
from web import serialize
from web.db import session, settings

bp = Blueprint("live_timer", __name__)


@bp.get("/live/timer")
def page() -> Any:
    now = utcnow()
    reports = [timer.report(session(), window, now) for window in timer.WINDOWS]
    return render_template("live_timer.html", reports=reports, labels=timer.WINDOW_LABELS, stages=timer.STAGES,
                           recent=reports[-1].clips[:timer.RECENT], human=timer.human)


@bp.get("/api/v1/live/timer")
def api() -> Any:
    found = timer.report(session(), request.args.get("window", "day"), utcnow())
    return jsonify(serialize.live_timer(found, settings().timezone))
