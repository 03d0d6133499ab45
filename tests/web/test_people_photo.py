"""An admin gives a person a photo on the People page (shown behind their audiogram clips)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from sqlalchemy import select

from clipper.models import Person
from tests.web.forms import logged_in, post_form


def test_admin_adds_a_person_with_a_photo_and_a_bad_file_is_refused(client, ctx, tmp_path: Path) -> None:
    logged_in(client, ctx, "admin")
    photo = tmp_path / "p.png"  # a real photo's size (noise does not compress): over the default body cap
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=green:s=700x900", "-vf", "noise=alls=100",
                    "-frames:v", "1", str(photo)], check=True)
    assert photo.stat().st_size > 1024 * 1024
    resp = post_form(client, "/admin/people", {"name": "Lisa Nandy", "role": "Culture Secretary",
                                               "photo": (io.BytesIO(photo.read_bytes()), "lisa.png")},
                     content_type="multipart/form-data")
    assert resp.status_code == 302
    with ctx.sessions() as session:
        person = session.scalars(select(Person)).one()
        assert person.photo_key == f"people/{person.id}/photo.png"
        assert ctx.store.open(person.photo_key).read() == photo.read_bytes()
        pid = person.id
    page = client.get("/admin/people").get_data(as_text=True)
    assert 'name="photo"' in page and "Remove the photo" in page
    bad = post_form(client, f"/admin/people/{pid}", {"name": "Lisa Nandy", "photo": (io.BytesIO(b"GIF89a..."), "x.gif")},
                    content_type="multipart/form-data")
    assert bad.status_code == 400 and "PNG or JPEG" in bad.get_data(as_text=True)
    post_form(client, f"/admin/people/{pid}", {"name": "Lisa Nandy", "remove_photo": "1"},
              content_type="multipart/form-data")
    with ctx.sessions() as session:
        assert session.get(Person, pid).photo_key == ""
