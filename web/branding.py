"""Admin: branding (logo, name strap, end card, promoter imprint) and caption style, with a preview image."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from clipper.errors import InvalidInput
from clipper.models import Branding
from clipper.render import options_from
from clipper.render.branding import CAPTION_POSITIONS, LOGO_POSITIONS
from clipper.render.preview import STILL_SIZES, style_still
from web.auth import role_required
from web.body_caps import body_cap
from web.db import session, settings, store

bp = Blueprint("branding", __name__, url_prefix="/admin/branding")
LOGO_KEY = "branding/logo.png"
MAX_LOGO_BYTES = 2 * 1024 * 1024
COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


@bp.get("/")
@role_required("admin")
def edit() -> Any:
    return render_template("branding.html", b=Branding.current(session()), logo_positions=LOGO_POSITIONS,
                           caption_positions=CAPTION_POSITIONS, aspects=list(STILL_SIZES))


@bp.post("/")
@body_cap(lambda s: MAX_LOGO_BYTES + 256 * 1024, mimetypes=("multipart/form-data",))  # the logo and the form
@role_required("admin")
def save() -> Any:
    b, form = Branding.current(session()), request.form
    b.imprint_text = " ".join(form.get("imprint_text", "").split())[:500]
    b.imprint_required = "imprint_required" in form
    b.strap_enabled, b.end_card_enabled = "strap_enabled" in form, "end_card_enabled" in form
    b.caption_uppercase = "caption_uppercase" in form
    b.caption_box = "caption_box" in form
    b.strap_seconds = _number(form, "strap_seconds", 0.5, 30)
    b.end_card_seconds = _number(form, "end_card_seconds", 0.5, 10)
    b.caption_size = _number(form, "caption_size", 0.5, 2.5)
    b.logo_scale = _number(form, "logo_scale", 0.03, 0.5)
    b.logo_opacity = _number(form, "logo_opacity", 0.1, 1.0)
    b.caption_font = " ".join(form.get("caption_font", "").split())[:100]
    for name in ("caption_colour", "caption_highlight", "caption_outline", "background_colour"):
        value = form.get(name, "#12284C" if name == "background_colour" else "")
        if not COLOUR.fullmatch(value):
            raise InvalidInput(f"{name.replace('_', ' ').capitalize()} must be a colour like #FFD400.")
        setattr(b, name, value.upper())
    b.logo_position = _choice(form, "logo_position", LOGO_POSITIONS)
    b.caption_position = _choice(form, "caption_position", CAPTION_POSITIONS)
    if "remove_logo" in form:
        b.logo_key = ""
    upload = request.files.get("logo")
    if upload is not None and upload.filename:
        data = upload.read(MAX_LOGO_BYTES + 1)
        if len(data) > MAX_LOGO_BYTES or not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise InvalidInput("The logo must be a PNG file under 2 MB (a transparent background looks best).")
        store().put_bytes(LOGO_KEY, data, content_type="image/png")
        b.logo_key = LOGO_KEY
    session().commit()
    flash("Branding saved. New renders use it; re-render a clip to update it.")
    return redirect(url_for("branding.edit"))


@bp.get("/preview/<aspect>.png")
@role_required("admin")
def preview(aspect: str) -> Any:
    if aspect not in STILL_SIZES:
        return Response("Unknown aspect.", status=404)
    b = Branding.current(session())
    work = Path(tempfile.mkdtemp(prefix="branding-"))
    try:
        logo = None
        if b.logo_key and store().exists(b.logo_key):
            logo = store().get_file(b.logo_key, work / "logo.png")
        options = options_from(b, logo_path=logo, default_font=settings().caption_font)
        png = style_still(options, aspect, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.app_context_processor
def imprint_warning() -> dict[str, Any]:
    """Admins see on every page that renders carry no promoter imprint while none is set (UK law wants one)."""
    if not (current_user.is_authenticated and current_user.has_role("admin")):
        return {}
    row = session().get(Branding, 1)
    return {"imprint_missing": not (row is not None and (row.imprint_text or "").strip())}


def _number(form: Any, name: str, low: float, high: float) -> float:
    try:
        value = float(form.get(name, ""))
    except ValueError:
        raise InvalidInput(f"{name.replace('_', ' ').capitalize()} must be a number.") from None
    if not low <= value <= high:
        raise InvalidInput(f"{name.replace('_', ' ').capitalize()} must be between {low:g} and {high:g}.")
    return value


def _choice(form: Any, name: str, allowed: tuple[str, ...]) -> str:
    value = form.get(name, "")
    if value not in allowed:
        raise InvalidInput(f"Choose one of: {', '.join(allowed)}.")
    return value
