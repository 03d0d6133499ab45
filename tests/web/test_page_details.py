"""Small things every page gets right: the site icon, a message (not a bare error page) when an admin
tries to lock themselves out, and clip titles that open the clip."""

from __future__ import annotations

import html
import re

from clipper.models import Clip, Recording, User
from tests.conftest import make_user
from tests.web.forms import logged_in, post_form


def test_favicon_is_served_on_every_page(client, ctx) -> None:  # type: ignore[no-untyped-def]
    icon = client.get("/favicon.ico")  # browsers ask before anyone logs in
    assert icon.status_code == 200
    assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert icon.data[:4] == b"\x00\x00\x01\x00" and len(icon.data) > 100  # an ICO file with an image in it
    logged_in(client, ctx, "volunteer")
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/recordings").get_data(as_text=True)


def test_an_admin_deactivating_their_own_account_gets_a_message_on_the_users_page(client, ctx) -> None:  # type: ignore[no-untyped-def]
    admin = logged_in(client, ctx, "admin")
    answer = post_form(client, f"/admin/users/{admin.id}/active", {"active": "0"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/users")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "<h1>" in page and "deactivate your own account" in html.unescape(page)
    with ctx.sessions() as db:
        assert db.get(User, admin.id).active
    assert client.get("/admin/users").status_code == 200  # still logged in


def test_clip_titles_in_lists_open_the_clip(client, ctx) -> None:  # type: ignore[no-untyped-def]
    user = logged_in(client, ctx, "volunteer")
    other, _ = make_user(ctx, "other@example.org")
    with ctx.sessions() as db:
        rec = Recording(title="News", status="ready", duration=30.0)
        db.add(rec)
        db.flush()
        mine = Clip(recording_id=rec.id, start=1.0, end=4.0, title="Hospital promise", created_by_id=user.id)
        theirs = Clip(recording_id=rec.id, start=5.0, end=9.0, title="Tax pledge", created_by_id=other.id)
        db.add_all([mine, theirs])
        db.commit()
        ids = {"Hospital promise": (rec.id, mine.id), "Tax pledge": (rec.id, theirs.id)}
    for path, titles in (("/clips", ids), ("/clips/mine", {"Hospital promise": ids["Hospital promise"]}),
                         ("/desk", {"Hospital promise": ids["Hospital promise"]})):
        page = html.unescape(client.get(path).get_data(as_text=True))
        for title, (rid, cid) in titles.items():
            assert re.search(rf'<a [^>]*href="/recordings/{rid}\?clip={cid}"[^>]*>{title}</a>', page), (path, title)
