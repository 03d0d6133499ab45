"""Admin: the campaign's accounts (channels). Connect one per platform, test it, switch it off.

Secrets are typed once: they are encrypted on arrival and the page never shows them again (not even
masked); leaving a secret blank when editing keeps the saved one.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from clipper import events
from clipper.channels import Connection
from clipper.channels import records as channel_records
from clipper.errors import InvalidInput, NotFound
from clipper.models import Channel
from clipper.settings import Settings
from clipper.urls import AddressPolicy
from web.auth import role_required
from web.db import session

bp = Blueprint("channels", __name__, url_prefix="/admin/channels")


def _settings() -> Settings:
    return current_app.config["CLIPPER"]  # type: ignore[no-any-return]


def connection() -> Connection:
    s = _settings()
    return Connection(AddressPolicy(s.url_allowed_hosts), timeout=min(s.publish_request_timeout, 20.0))


def key() -> str:
    s = _settings()
    return channel_records.credentials_key(s.secret_key, s.credentials_key)


def _channel(channel_id: int) -> Channel:
    channel = session().get(Channel, channel_id)
    if channel is None:
        raise NotFound("There is no such channel.")
    return channel


def _page(status: int = 200, form: dict[str, str] | None = None, error: str = "") -> Any:
    rows = session().scalars(select(Channel).order_by(Channel.active.desc(), Channel.name)).all()
    return render_template("admin/channels.html", channels=rows, fields=channel_records.FIELDS,
                           kinds=channel_records.KIND_LABELS, form=form or {}, error=error), status


@bp.get("")
@role_required("admin")
def index() -> Any:
    return _page()


@bp.post("")
@role_required("admin")
def add() -> Any:
    db = session()
    kind = request.form.get("kind", "")
    fields = channel_records.FIELDS.get(kind, ())
    values = {f.name: request.form.get(f"{kind}-{f.name}", "") for f in fields}
    try:
        channel = channel_records.create(db, kind, request.form.get("name", ""), values, key=key(),
                                         conn=connection(), user_id=current_user.id)
    except InvalidInput as exc:
        db.rollback()
        kept = {f"{kind}-{f.name}": v for f in fields if not f.secret for v in [values[f.name]]}
        return _page(400, {"kind": kind, "name": request.form.get("name", ""), **kept}, exc.message)
    db.commit()
    flash(f"Connected {channel.name}: {channel.account_name}.")
    return redirect(url_for("channels.index"))


@bp.post("/<int:channel_id>/check")
@role_required("admin")
def check(channel_id: int) -> Any:
    db = session()
    channel = _channel(channel_id)
    account = channel_records.check(db, channel, key=key(), conn=connection())
    db.commit()
    flash(f"{channel.name}: connected as {account.name} ({account.detail})." if account
          else f"{channel.name}: {channel.check_error}")
    return redirect(url_for("channels.index"))


@bp.post("/<int:channel_id>")
@role_required("admin")
def edit(channel_id: int) -> Any:
    db = session()
    channel = _channel(channel_id)
    action = request.form.get("action", "")
    if action in ("off", "on"):
        channel.active = action == "on"
        events.record(db, "channel.activated" if channel.active else "channel.deactivated", channel,
                                      user_id=current_user.id)
        flash(f"{channel.name} is {'on' if channel.active else 'off: nothing new can be scheduled on it'}.")
    else:
        values = {f.name: request.form.get(f.name, "") for f in channel_records.FIELDS[channel.kind]}
        try:
            channel_records.update_credentials(db, channel, values, key=key(), conn=connection(),
                                               user_id=current_user.id)
        except InvalidInput as exc:
            db.rollback()
            return _page(400, error=f"{channel.name}: {exc.message}")
        name = request.form.get("name", "").strip()
        if name:
            channel.name = name[:200]
        flash(f"Saved {channel.name}: {channel.account_name}.")
    db.commit()
    return redirect(url_for("channels.index"))
