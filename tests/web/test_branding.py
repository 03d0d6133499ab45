"""The admin's branding page: settings saved, bad values refused, a preview image, admins only."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from clipper.models import Branding
from tests.web.forms import logged_in, post_form

FORM = {"imprint_text": "Promoted by Jo Bloggs on behalf of the Party, both of 1 High St",
        "imprint_required": "on", "strap_enabled": "on", "strap_seconds": "3", "end_card_seconds": "2",
        "caption_font": "DejaVu Sans", "caption_size": "1.2", "caption_colour": "#ffffff",
        "caption_highlight": "#00ff00", "caption_outline": "#000000", "caption_position": "bottom",
        "logo_position": "top-left", "logo_scale": "0.1", "logo_opacity": "0.8"}


def test_admin_saves_branding_and_sees_a_preview(client, ctx, tmp_path: Path) -> None:
    logged_in(client, ctx, "admin")
    logo = tmp_path / "logo.png"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=40x20", "-frames:v", "1",
                    str(logo)], check=True)
    resp = post_form(client, "/admin/branding/", {**FORM, "logo": (io.BytesIO(logo.read_bytes()), "logo.png")},
                     content_type="multipart/form-data")
    assert resp.status_code == 302
    with ctx.sessions() as session:
        b = Branding.current(session)
        assert b.imprint_required and b.caption_highlight == "#00FF00" and b.logo_key == "branding/logo.png"
    page = client.get("/admin/branding/").get_data(as_text=True)
    assert "Promoted by Jo Bloggs" in page
    image = client.get("/admin/branding/preview/vertical.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")


def test_bad_values_get_a_clear_message(client, ctx) -> None:
    logged_in(client, ctx, "admin")
    resp = post_form(client, "/admin/branding/", {**FORM, "caption_colour": "red;drop"})
    assert resp.status_code == 400 and "colour like #FFD400" in resp.get_data(as_text=True)
    resp = post_form(client, "/admin/branding/", {**FORM, "logo": (io.BytesIO(b"GIF89a..."), "x.png")},
                     content_type="multipart/form-data")
    assert resp.status_code == 400 and "must be a PNG" in resp.get_data(as_text=True)


def test_only_admins_reach_branding(client, ctx) -> None:
    logged_in(client, ctx, "volunteer")
    assert client.get("/admin/branding/").status_code == 403
    assert client.get("/admin/branding/preview/square.png").status_code == 403
