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


def pixels(png: bytes) -> tuple[int, int, bytes]:
    """A PNG's size and its RGB24 pixels, decoded by ffmpeg."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", "-"], input=png, capture_output=True, check=True).stdout
    width, height = (int(v) for v in probe.decode().strip().split(","))
    raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "png_pipe", "-i", "-", "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-"], input=png, capture_output=True, check=True).stdout
    return width, height, raw


def count(raw: bytes, rgb: tuple[int, int, int], *, rows: range, width: int, tolerance: int = 40) -> int:
    found = 0
    for y in rows:
        line = raw[y * width * 3:(y + 1) * width * 3]
        for x in range(0, len(line), 3):
            if all(abs(line[x + i] - rgb[i]) <= tolerance for i in range(3)):
                found += 1
    return found


def test_preview_follows_the_caption_style(client, ctx) -> None:
    """The still is drawn from the saved style: highlight colour, position and case all show in its pixels."""
    logged_in(client, ctx, "admin")
    # The still's picture is grey, so any strongly coloured pixel is a caption's.
    post_form(client, "/admin/branding/", {**FORM, "caption_highlight": "#00FF00", "imprint_text": ""})
    w, h, green = pixels(client.get("/admin/branding/preview/landscape.png").data)
    assert (w, h) == (640, 360)
    post_form(client, "/admin/branding/", {**FORM, "caption_highlight": "#FF00FF", "imprint_text": ""})
    _, _, magenta = pixels(client.get("/admin/branding/preview/landscape.png").data)
    bottom = range(h * 2 // 3, h)
    # The lit word changed colour: magenta appears where green was, in the caption band at the bottom.
    assert count(magenta, (255, 0, 255), rows=bottom, width=w) > count(green, (255, 0, 255), rows=bottom, width=w) + 50
    assert count(green, (0, 255, 0), rows=bottom, width=w, tolerance=30) > 50
    post_form(client, "/admin/branding/", {**FORM, "caption_highlight": "#FF00FF", "imprint_text": "",
                                           "caption_position": "top", "caption_uppercase": "on"})
    _, _, top = pixels(client.get("/admin/branding/preview/landscape.png").data)
    upper = range(0, h // 3)
    assert count(top, (255, 0, 255), rows=upper, width=w) > count(magenta, (255, 0, 255), rows=upper, width=w) + 50
    assert count(top, (255, 0, 255), rows=bottom, width=w) < count(magenta, (255, 0, 255), rows=bottom, width=w)
    page = client.get("/admin/branding/").get_data(as_text=True)
    assert "/admin/branding/preview/landscape.png?v=" in page  # a save changes the link, so browsers refetch


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


def test_anonymous_users_never_reach_the_preview(client) -> None:
    resp = client.get("/admin/branding/preview/square.png")
    assert resp.status_code in (302, 401, 403) and not resp.data.startswith(b"\x89PNG")


def test_admin_pages_link_to_branding(client, ctx) -> None:
    logged_in(client, ctx, "admin")
    for path in ("/admin/users", "/admin/people"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="/admin/branding/"' in page, path


def test_admins_are_told_while_renders_carry_no_imprint(client, ctx) -> None:
    logged_in(client, ctx, "admin")
    for path in ("/desk", "/recordings", "/admin/users"):
        resp = client.get(path, follow_redirects=True)
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200 and "Renders carry no promoter imprint" in html, path
        assert "UK law requires one" in html and 'href="/admin/branding/"' in html
    post_form(client, "/admin/branding/", {**FORM, "imprint_text": "   "})
    assert "no promoter imprint" in client.get("/recordings").get_data(as_text=True)  # blank is still none
    post_form(client, "/admin/branding/", FORM)
    assert "no promoter imprint" not in client.get("/recordings").get_data(as_text=True)


def test_volunteers_do_not_see_the_imprint_banner(client, ctx) -> None:
    logged_in(client, ctx, "volunteer")
    html = client.get("/recordings").get_data(as_text=True)
    assert "no promoter imprint" not in html


def test_background_colour_and_caption_box_are_saved(client, ctx) -> None:
    logged_in(client, ctx, "admin")
    resp = post_form(client, "/admin/branding/", {**FORM, "background_colour": "#aa0033", "caption_box": "on"})
    assert resp.status_code == 302
    with ctx.sessions() as session:
        b = Branding.current(session)
        assert (b.background_colour, b.caption_box) == ("#AA0033", True)
    bad = post_form(client, "/admin/branding/", {**FORM, "background_colour": "red;drawtext"})
    assert bad.status_code == 400 and "must be a colour" in bad.get_data(as_text=True)
