"""Public pages under a rush: the finished response of a cached page is replayed in front of Flask
(web/page_cache.py). What a phone gets from a replay must be what Flask sent — every security and
caching header, no cookie — with its own request id; it must go stale exactly when the rendered page
does, and a withdrawal in this process must end it at once (tests/web/test_gallery_withdraw.py)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask import request
from sqlalchemy import select

from clipper.models import Publication
from tests.gallery_setup import publish_files
from tests.media import make_video
from tests.web.forms import logged_in
from web import create_app

KEPT = ("Content-Type", "Content-Length", "Cache-Control", "ETag", "Last-Modified", "Content-Security-Policy",
        "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy")


@pytest.fixture(scope="module")
def mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "tiny.mp4", seconds=1.5, size="160x120")


def _flask_requests(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Paths of the requests that reached Flask's request handling."""
    seen: list[str] = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: seen.append(request.full_path))
    return seen


def _retitle(ctx, clip_id: int, title: str) -> None:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:  # behind the app's back: only the cache's lifetime decides when it shows
        db.scalars(select(Publication).where(Publication.clip_id == clip_id)).one().title = title
        db.commit()


def test_a_replayed_page_carries_every_header_flask_sent_and_a_new_request_id(app, client, ctx, mp4) -> None:  # type: ignore[no-untyped-def]
    _, slug = publish_files(ctx, mp4, title="Hospital promise")
    reached = _flask_requests(app)
    for path in ("/", f"/c/{slug}", "/feeds/clips.atom", f"/embed/{slug}"):
        first, second = client.get(path), client.get(path)
        assert first.status_code == second.status_code == 200, path
        assert first.data == second.data, path
        for name in KEPT:
            assert first.headers.get(name) == second.headers.get(name), (path, name)
        assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
        ids = first.headers["X-Request-ID"], second.headers["X-Request-ID"]
        assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1], ids
        assert client.get(path, headers={"X-Request-ID": "cdn-abc-123"}).headers["X-Request-ID"] == "cdn-abc-123"
    assert "frame-ancestors *" in client.get(f"/embed/{slug}").headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in client.get(f"/c/{slug}").headers["Content-Security-Policy"]
    assert reached == ["/?", f"/c/{slug}?", "/feeds/clips.atom?", f"/embed/{slug}?"]  # one render each; the rest replayed


def test_team_members_cookies_conditional_and_head_requests(app, client, ctx, mp4) -> None:  # type: ignore[no-untyped-def]
    clip_id, slug = publish_files(ctx, mp4, title="Hospital promise")
    page = client.get(f"/c/{slug}")
    lead = app.test_client()
    logged_in(lead, ctx, "social_lead", "lead@example.org")
    seen = lead.get(f"/c/{slug}")  # a logged-in lead gets the public page, and it sets no cookie
    assert seen.status_code == 200 and seen.data == page.data and "Set-Cookie" not in seen.headers
    assert "Vary" not in seen.headers
    again = client.get(f"/c/{slug}", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    head = client.head(f"/c/{slug}")
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == page.headers["ETag"]
    assert client.get(f"/c/{slug}?x=1").status_code == 200  # another URL, another entry
    _retitle(ctx, clip_id, "Changed behind the cache")
    assert b"Hospital promise" in client.get(f"/c/{slug}").data


def test_a_replay_goes_stale_with_its_page(settings, redis_url, ctx, mp4) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings.__class__(**{**settings.__dict__, "gallery_cache_seconds": 1}), redis_url)
    client = app.test_client()
    clip_id, slug = publish_files(ctx, mp4, title="Hospital promise")
    assert b"Hospital promise" in client.get(f"/c/{slug}").data
    _retitle(ctx, clip_id, "Schools answer")
    assert b"Hospital promise" in client.get(f"/c/{slug}").data  # within the second: the replay
    time.sleep(1.2)
    fresh = client.get(f"/c/{slug}")
    assert b"Schools answer" in fresh.data and b"Hospital promise" not in fresh.data


def test_without_a_cache_every_request_renders(settings, redis_url, ctx, mp4) -> None:  # type: ignore[no-untyped-def]
    app = create_app(settings.__class__(**{**settings.__dict__, "gallery_cache_seconds": 0}), redis_url)
    client = app.test_client()
    clip_id, slug = publish_files(ctx, mp4, title="Hospital promise")
    first = client.get(f"/c/{slug}")
    assert first.headers["Cache-Control"] == "no-cache"
    _retitle(ctx, clip_id, "Schools answer")
    assert b"Schools answer" in client.get(f"/c/{slug}").data


def test_replayed_requests_are_timed_in_metrics(client, ctx, mp4) -> None:  # type: ignore[no-untyped-def]
    _, slug = publish_files(ctx, mp4, title="Hospital promise")

    def served() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        found = re.search(r'clipper_http_request_duration_seconds_count\{endpoint="gallery.clip",method="GET",'
                          r'status="200"\} ([\d.]+)', text)
        return float(found.group(1)) if found else 0.0

    for _ in range(5):
        assert client.get(f"/c/{slug}").status_code == 200
    assert served() == 5


def test_a_page_rendered_before_a_withdrawal_is_not_kept_after_it() -> None:
    from web.page_cache import Finished, PageCache

    cache = PageCache(10)
    before = cache.generation  # a request starts reading the database...
    cache.clear()  # ...a lead withdraws a clip in another thread...
    cache.put("/?", b"<h2>Withdrawn clip</h2>", 200, "text/html", None, before)  # ...the old page arrives
    cache.keep_finished("/?", Finished("200 OK", [], b"<h2>Withdrawn clip</h2>", "gallery.index", 1e12), before)
    assert cache.get("/?") is None and cache.finished("/?") is None
    cache.put("/?", b"<h2>Fresh</h2>", 200, "text/html", None, cache.generation)
    assert cache.get("/?") is not None and cache.get("/?").body == b"<h2>Fresh</h2>"  # type: ignore[union-attr]
